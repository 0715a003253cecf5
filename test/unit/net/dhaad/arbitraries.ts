// fast-check generators for the DHAAD and Router Advertisement codecs (round trips and the
// tshark cross-check share them).
import fc from 'fast-check';
import type { DhaadMessage } from '../../../../lib/net/dhaad/dhaad-codec.js';
import type { RaOption, RouterAdvertisement } from '../../../../lib/net/dhaad/ra-codec.js';

const address = fc.uint8Array({ minLength: 16, maxLength: 16 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const dhaadArb: fc.Arbitrary<DhaadMessage> = fc.oneof(
  fc.record({ kind: fc.constant('dhaadRequest' as const), identifier: u16, mobileRouter: fc.boolean() }, { noNullPrototype: true }),
  fc.record(
    { kind: fc.constant('dhaadReply' as const), identifier: u16, mobileRouter: fc.boolean(), homeAgents: fc.array(address, { maxLength: 8 }) },
    { noNullPrototype: true },
  ),
);

export const prefixInformationArb = fc.record(
  {
    kind: fc.constant('prefixInformation' as const),
    prefixLength: fc.integer({ min: 0, max: 128 }),
    onLink: fc.boolean(),
    autonomous: fc.boolean(),
    routerAddress: fc.boolean(),
    validLifetime: u32,
    preferredLifetime: u32,
    prefix: address,
  },
  { noNullPrototype: true },
);

export const homeAgentInformationArb = fc.record(
  { kind: fc.constant('homeAgentInformation' as const), mobileRouterSupport: fc.boolean(), preference: fc.integer({ min: -0x8000, max: 0x7fff }), lifetime: u16 },
  { noNullPrototype: true },
);

// Unknown options keep whole 8-octet units (6 octets of data after type and length, per unit).
const unknownArb = fc.record(
  {
    kind: fc.constant('unknown' as const),
    optionType: fc.constantFrom(1, 5, 7, 25, 200),
    data: fc.integer({ min: 1, max: 3 }).chain((units) => fc.uint8Array({ minLength: units * 8 - 2, maxLength: units * 8 - 2 })),
  },
  { noNullPrototype: true },
);

export const raArb: fc.Arbitrary<RouterAdvertisement> = fc.record(
  {
    curHopLimit: fc.integer({ min: 0, max: 255 }),
    managed: fc.boolean(),
    other: fc.boolean(),
    homeAgent: fc.boolean(),
    routerLifetime: u16,
    reachableTime: u32,
    retransTimer: u32,
    options: fc.array(fc.oneof<fc.Arbitrary<RaOption>[]>(prefixInformationArb, homeAgentInformationArb, unknownArb), { maxLength: 5 }),
  },
  { noNullPrototype: true },
);
