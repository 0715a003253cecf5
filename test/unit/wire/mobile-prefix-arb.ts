// fast-check arbitraries for Mobile Prefix Discovery messages, shared by the codec's
// property tests and the tshark cross-check.
import fc from 'fast-check';
import type { MobilePrefixMessage, PrefixInformation, RawIcmpOption } from '../../../lib/wire/icmp/mobile-prefix.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const prefixInformationArb: fc.Arbitrary<PrefixInformation> = fc.record(
  {
    prefixLength: fc.integer({ min: 0, max: 128 }),
    onLink: fc.boolean(),
    autonomous: fc.boolean(),
    routerAddress: fc.boolean(),
    validLifetime: u32,
    preferredLifetime: u32,
    prefix: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  },
  { noNullPrototype: true },
);

// Data of 8k+6 octets: the option then needs no padding, so it decodes to itself.
const rawOptionArb: fc.Arbitrary<RawIcmpOption> = fc.record(
  {
    type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 3),
    data: fc.integer({ min: 0, max: 3 }).chain((k) => fc.uint8Array({ minLength: 8 * k + 6, maxLength: 8 * k + 6 })),
  },
  { noNullPrototype: true },
);

export const mobilePrefixArb: fc.Arbitrary<MobilePrefixMessage> = fc.oneof(
  fc.record({ kind: fc.constant('mps' as const), identifier: fc.integer({ min: 0, max: 0xffff }), options: fc.array(rawOptionArb, { maxLength: 2 }) }, { noNullPrototype: true }),
  fc.record(
    {
      kind: fc.constant('mpa' as const),
      identifier: fc.integer({ min: 0, max: 0xffff }),
      managed: fc.boolean(),
      other: fc.boolean(),
      prefixes: fc.array(prefixInformationArb, { maxLength: 4 }),
      options: fc.array(rawOptionArb, { maxLength: 2 }),
    },
    { noNullPrototype: true },
  ),
);
