// Sample messages and options shared by the wire tests.
import fc from 'fast-check';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import type {
  BaFlags,
  BidOption,
  BindingAck,
  BindingUpdate,
  BuFlags,
  MobilityMessage,
  MobilityOption,
} from '../../../lib/wire/types.js';

export const ip = (text: string): Uint8Array => mustParseIp6(text);
export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
export const seq = (n: number, from = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

export const NO_BU_FLAGS: BuFlags = { a: false, h: false, l: false, k: false, m: false, r: false, p: false };
export const NO_BA_FLAGS: BaFlags = { k: false, r: false, p: false };

export function bid(n: number, coa?: string, extra: Partial<BidOption> = {}): BidOption {
  return coa
    ? { kind: 'bid', bid: n, status: 0, c: true, o: false, h: false, coa: ip(coa), ...extra }
    : { kind: 'bid', bid: n, status: 0, c: false, o: false, h: false, ...extra };
}

export function bu(options: MobilityOption[], over: Partial<BindingUpdate> = {}): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    sequence: 42,
    flags: { ...NO_BU_FLAGS, a: true, h: true },
    lifetimeSeconds: 600,
    options,
    ...over,
  };
}

export function ba(options: MobilityOption[], over: Partial<BindingAck> = {}): BindingAck {
  return { kind: 'ba', payloadProto: 59, checksum: 0, status: 0, flags: NO_BA_FLAGS, sequence: 42, lifetimeSeconds: 600, options, ...over };
}

/** A bulk-registration BU: three BID sub-options with care-of addresses (the benchmark's message). */
export function bulkBu(): BindingUpdate {
  return bu([bid(1, '2001:db8:1::1'), bid(2, '2001:db8:2::2'), bid(3, '2001:db8:3::3')]);
}

/** One of every option kind, each valid on its own. */
export const EVERY_OPTION: { name: string; option: MobilityOption }[] = [
  { name: 'Binding Refresh Advice', option: { kind: 'bindingRefreshAdvice', intervalSeconds: 300 } },
  { name: 'Alternate Care-of Address', option: { kind: 'alternateCoa', address: ip('2001:db8:a::1') } },
  { name: 'Nonce Indices', option: { kind: 'nonceIndices', homeNonceIndex: 0x1234, careOfNonceIndex: 0xfedc } },
  { name: 'Binding Authorization Data', option: { kind: 'bindingAuthData', authenticator: seq(12) } },
  { name: 'Mobile Network Prefix', option: { kind: 'mobileNetworkPrefix', prefixLength: 48, prefix: ip('2001:db8:77::') } },
  { name: 'BID without CoA', option: bid(7) },
  { name: 'BID with CoA and all flags', option: bid(65535, 'fe80::1', { status: 164, o: true, h: true }) },
  { name: 'unknown option, empty', option: { kind: 'unknown', optionType: 200, data: new Uint8Array(0) } },
  { name: 'unknown option with data', option: { kind: 'unknown', optionType: 7, data: seq(9) } },
];

const common = { payloadProto: 59, checksum: 0xbeef } as const;

/** One of every message kind, with options where the kind takes them. */
export const EVERY_MESSAGE: { name: string; msg: MobilityMessage }[] = [
  { name: 'BRR', msg: { kind: 'brr', ...common, options: [bid(3)] } },
  { name: 'BRR without options', msg: { kind: 'brr', ...common, options: [] } },
  { name: 'HoTI', msg: { kind: 'hoti', ...common, cookie: seq(8), options: [] } },
  { name: 'CoTI', msg: { kind: 'coti', ...common, cookie: seq(8, 100), options: [bid(9)] } },
  { name: 'HoT', msg: { kind: 'hot', ...common, nonceIndex: 513, cookie: seq(8), keygenToken: seq(8, 50), options: [] } },
  {
    name: 'CoT',
    msg: { kind: 'cot', ...common, nonceIndex: 65535, cookie: seq(8), keygenToken: seq(8, 60), options: [bid(9, undefined, { status: 137 })] },
  },
  { name: 'BU, every flag', msg: bu([bid(1, '2001:db8::5')], { flags: { a: true, h: true, l: true, k: true, m: true, r: true, p: true }, sequence: 65535, lifetimeSeconds: 262140 }) },
  { name: 'BU, de-registration, no options', msg: bu([], { flags: NO_BU_FLAGS, lifetimeSeconds: 0, sequence: 0 }) },
  { name: 'BU, bulk registration', msg: bulkBu() },
  {
    name: 'BU, return routability',
    msg: bu([{ kind: 'nonceIndices', homeNonceIndex: 1, careOfNonceIndex: 2 }, bid(4, '2001:db8::4'), { kind: 'bindingAuthData', authenticator: seq(12) }], { flags: NO_BU_FLAGS }),
  },
  {
    name: 'BU, NEMO',
    msg: bu([{ kind: 'mobileNetworkPrefix', prefixLength: 64, prefix: ip('2001:db8:9::') }, { kind: 'alternateCoa', address: ip('2001:db8::99') }], {
      flags: { ...NO_BU_FLAGS, a: true, h: true, r: true },
    }),
  },
  { name: 'BA, every flag', msg: ba([{ kind: 'bindingRefreshAdvice', intervalSeconds: 120 }], { flags: { k: true, r: true, p: true }, status: 1 }) },
  { name: 'BA, bulk with per-BID status', msg: ba([bid(1, undefined, { status: 0 }), bid(2, undefined, { status: 166 })], { status: 164, sequence: 7 }) },
  { name: 'BE', msg: { kind: 'be', ...common, status: 2, homeAddress: ip('2001:db8::100'), options: [] } },
  { name: 'BE with an option', msg: { kind: 'be', ...common, status: 1, homeAddress: ip('2001:db8::100'), options: [{ kind: 'unknown', optionType: 99, data: seq(3) }] } },
  { name: 'unknown MH type', msg: { kind: 'unknown', ...common, mhType: 42, body: seq(10), options: [] } },
  { name: 'unknown MH type, largest', msg: { kind: 'unknown', ...common, mhType: 255, body: seq(2042), options: [] } },
];

/** Any RFC 5648 Binding Identifier option: BID, status, H, BID-PRI, and no, an IPv4 or an IPv6 care-of address. */
export const rfc5648BidArb: fc.Arbitrary<BidOption> = fc
  .record({
    bid: fc.integer({ min: 1, max: 0xffff }),
    status: fc.integer({ min: 0, max: 255 }),
    h: fc.boolean(),
    pri: fc.integer({ min: 0, max: 0x7f }),
    shape: fc.constantFrom('none', 'v4', 'v6'),
    v6: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    v4: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  })
  .map((r): BidOption => {
    const base = { kind: 'bid' as const, bid: r.bid, status: r.status, o: false, h: r.h, pri: r.pri };
    if (r.shape === 'v6') return { ...base, c: true, coa: r.v6 };
    if (r.shape === 'v4') return { ...base, c: false, coa4: r.v4 };
    return { ...base, c: false };
  });
