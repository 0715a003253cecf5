// fast-check arbitraries and samples for RFC 6089's flow options and RFC 6088's selectors.
import fc from 'fast-check';
import type { FlowIdentificationOption, FlowSubOption, FlowSummaryOption, Ip4TrafficSelector, Ip6TrafficSelector, TrafficSelector } from '../../../lib/wire/flow/flow-types.js';
import { ip } from './fixtures.js';

/** Plain objects, as the decoder makes (fast-check's default records have no prototype). */
const NP = { noNullPrototype: true } as const;
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });

/** Drops the keys whose value is undefined (a decoded selector has only the fields its flags carry). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export const ip6SelectorArb: fc.Arbitrary<Ip6TrafficSelector> = fc
  .record({
    sourceAddressStart: opt(bytesOf(16)), sourceAddressEnd: opt(bytesOf(16)),
    destinationAddressStart: opt(bytesOf(16)), destinationAddressEnd: opt(bytesOf(16)),
    spiStart: opt(u32), spiEnd: opt(u32),
    flowLabelStart: opt(fc.integer({ min: 0, max: 0xfffff })), flowLabelEnd: opt(fc.integer({ min: 0, max: 0xfffff })),
    sourcePortStart: opt(u16), sourcePortEnd: opt(u16), destinationPortStart: opt(u16), destinationPortEnd: opt(u16),
    trafficClassStart: opt(u8), trafficClassEnd: opt(u8), nextHeaderStart: opt(u8), nextHeaderEnd: opt(u8),
  }, NP)
  .map((r) => compact({ format: 'ipv6' as const, ...r }));

export const ip4SelectorArb: fc.Arbitrary<Ip4TrafficSelector> = fc
  .record({
    sourceAddressStart: opt(bytesOf(4)), sourceAddressEnd: opt(bytesOf(4)),
    destinationAddressStart: opt(bytesOf(4)), destinationAddressEnd: opt(bytesOf(4)),
    spiStart: opt(u32), spiEnd: opt(u32),
    sourcePortStart: opt(u16), sourcePortEnd: opt(u16), destinationPortStart: opt(u16), destinationPortEnd: opt(u16),
    dsStart: opt(u8), dsEnd: opt(u8), protocolStart: opt(u8), protocolEnd: opt(u8),
  }, NP)
  .map((r) => compact({ format: 'ipv4' as const, ...r }));

export const selectorArb: fc.Arbitrary<TrafficSelector> = fc.oneof(
  { weight: 3, arbitrary: ip6SelectorArb },
  ip4SelectorArb,
  fc.record({ format: fc.constant('unknown' as const), tsFormat: fc.integer({ min: 3, max: 255 }), data: fc.uint8Array({ maxLength: 12 }) }, NP),
);

const subOptionArb: fc.Arbitrary<FlowSubOption> = fc.oneof(
  fc.record({ kind: fc.constant('bindingReference' as const), bids: fc.array(fc.integer({ min: 1, max: 0xffff }), { maxLength: 6 }) }, NP),
  fc.record({ kind: fc.constant('trafficSelector' as const), selector: selectorArb }, NP),
  fc.record({ kind: fc.constant('unknownSubOption' as const), subType: fc.integer({ min: 4, max: 255 }), data: fc.uint8Array({ maxLength: 8 }) }, NP),
);

/** Fits in one option: at most 255 octets of body. */
export const flowIdArb: fc.Arbitrary<FlowIdentificationOption> = fc
  .record({ fid: u16, fidPri: u16, status: u8, subOptions: fc.array(subOptionArb, { maxLength: 3 }) }, NP)
  .map((r) => ({ kind: 'flowIdentification' as const, ...r }))
  .filter((o) => bodyLength(o) <= 255);

export const flowSummaryArb: fc.Arbitrary<FlowSummaryOption> = fc
  .array(u16, { minLength: 1, maxLength: 127 })
  .map((fids) => ({ kind: 'flowSummary' as const, fids }));

function bodyLength(o: FlowIdentificationOption): number {
  let n = 6;
  for (const s of o.subOptions) {
    if (s.kind === 'bindingReference') n += 2 + 2 * s.bids.length;
    else if (s.kind === 'unknownSubOption') n += 2 + s.data.length;
    else {
      const sel = s.selector;
      let body = 4;
      if (sel.format === 'unknown') body = sel.data.length;
      else for (const v of Object.values(sel)) body += v instanceof Uint8Array ? v.length : 0;
      if (sel.format === 'ipv6') body += sizes(sel, { spi: 4, flowLabel: 4, sourcePort: 2, destinationPort: 2, trafficClass: 1, nextHeader: 1 });
      if (sel.format === 'ipv4') body += sizes(sel, { spi: 4, sourcePort: 2, destinationPort: 2, ds: 1, protocol: 1 });
      n += 2 + 2 + body;
      if (2 + body > 255) return 1000;
    }
  }
  return n;
}

function sizes(sel: object, table: Record<string, number>): number {
  let n = 0;
  const v = sel as Record<string, unknown>;
  for (const [k, size] of Object.entries(table)) {
    if (v[`${k}Start`] !== undefined) n += size;
    if (v[`${k}End`] !== undefined) n += size;
  }
  return n;
}

/** The flows the README's example binds: UDP 5004 to BID 1, TCP 443 from a prefix to BID 2. */
export const SAMPLE_FLOWS: FlowIdentificationOption[] = [
  {
    kind: 'flowIdentification', fid: 1, fidPri: 10, status: 0,
    subOptions: [
      { kind: 'trafficSelector', selector: { format: 'ipv6', destinationPortStart: 5004, destinationPortEnd: 5004, nextHeaderStart: 17 } },
      { kind: 'bindingReference', bids: [1] },
    ],
  },
  {
    kind: 'flowIdentification', fid: 2, fidPri: 20, status: 0,
    subOptions: [
      {
        kind: 'trafficSelector',
        selector: { format: 'ipv6', sourceAddressStart: ip('2001:db8:c::'), sourceAddressEnd: ip('2001:db8:c::ffff'), sourcePortStart: 443, nextHeaderStart: 6, trafficClassStart: 0xb8 },
      },
      { kind: 'bindingReference', bids: [2, 3] },
    ],
  },
  {
    kind: 'flowIdentification', fid: 3, fidPri: 30, status: 0,
    subOptions: [
      { kind: 'trafficSelector', selector: { format: 'ipv4', destinationAddressStart: Uint8Array.of(192, 0, 2, 1), protocolStart: 17, dsStart: 46 } },
      { kind: 'bindingReference', bids: [1] },
    ],
  },
];
