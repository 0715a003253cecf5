// decodeMessage never throws: at least 100,000 inputs (valid encodings mutated by byte
// flips, truncation and extension; random bytes behind a plausible header; pure random
// bytes) each give { ok: true } or { ok: false } with a known code and an offset inside the
// buffer. Whatever decodes must also re-encode and decode to the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DRAFT04_PROFILE as P } from '../../../lib/wire/profiles.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import type { MobilityMessage, MobilityOption, WireErrorCode } from '../../../lib/wire/types.js';

const CODES = [
  'TRUNCATED',
  'BAD_HEADER_LENGTH',
  'BAD_PAYLOAD_PROTO',
  'MESSAGE_TOO_SHORT',
  'OPTION_OVERRUN',
  'BAD_OPTION_LENGTH',
  'BAD_OPTION_VALUE',
  'BID_BAD_LENGTH',
  'BID_C_WITHOUT_COA',
  'BID_ZERO',
  'BAD_NOT_LAST',
] as const satisfies readonly WireErrorCode[];
// Fails to compile when WireErrorCode gains a code this list lacks.
const exhaustive: Exclude<WireErrorCode, (typeof CODES)[number]> extends never ? true : never = true;
const KNOWN = new Set<string>(CODES);

const seen = new Map<string, number>();

function check(buf: Uint8Array): void {
  let r;
  try {
    r = decodeMessage(buf, P);
  } catch (e) {
    assert.fail(`decodeMessage threw ${String(e)} for ${Buffer.from(buf).toString('hex')}`);
  }
  const key = r.ok ? `ok:${r.value.kind}` : r.error.code;
  seen.set(key, (seen.get(key) ?? 0) + 1);
  if (!r.ok) {
    assert.ok(KNOWN.has(r.error.code), `unknown code ${r.error.code}`);
    assert.ok(Number.isInteger(r.error.offset) && r.error.offset >= 0 && r.error.offset <= buf.length, `offset ${r.error.offset} of ${buf.length}`);
    return;
  }
  // Re-encoding may pad differently (the input need not be aligned), so compare values.
  const again = decodeMessage(encodeMessage(r.value, P), P);
  assert.ok(again.ok, 're-encoded message decodes');
  assert.deepEqual(again.value, r.value);
}

// Plain objects (fast-check may otherwise make null-prototype ones, which deepEqual rejects).
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const address = bytesOf(16);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const seconds = fc.integer({ min: 0, max: 0xffff }).map((u) => u * 4);

const option: fc.Arbitrary<MobilityOption> = fc.oneof(
  rec({ kind: fc.constant('bid' as const), bid: fc.integer({ min: 1, max: 0xffff }), status: u8, c: fc.constant(false), o: fc.boolean(), h: fc.boolean() }),
  rec({ kind: fc.constant('bid' as const), bid: fc.integer({ min: 1, max: 0xffff }), status: u8, c: fc.constant(true), o: fc.boolean(), h: fc.boolean(), coa: address }),
  rec({ kind: fc.constant('bindingRefreshAdvice' as const), intervalSeconds: seconds }),
  rec({ kind: fc.constant('alternateCoa' as const), address }),
  rec({ kind: fc.constant('nonceIndices' as const), homeNonceIndex: u16, careOfNonceIndex: u16 }),
  rec({ kind: fc.constant('mobileNetworkPrefix' as const), prefixLength: fc.integer({ min: 0, max: 128 }), prefix: address }),
  rec({ kind: fc.constant('unknown' as const), optionType: fc.integer({ min: 7, max: 255 }).filter((t) => t !== 35 && t !== 44 && t !== 45), data: fc.uint8Array({ maxLength: 24 }) }),
);
const options = fc
  .tuple(fc.array(option, { maxLength: 5 }), fc.option(bytesOf(12), { nil: undefined }))
  .map(([opts, auth]) => (auth ? [...opts, { kind: 'bindingAuthData' as const, authenticator: auth }] : opts));
const common = { payloadProto: fc.constant(59), checksum: u16, options };
const buFlags = rec({ a: fc.boolean(), h: fc.boolean(), l: fc.boolean(), k: fc.boolean(), m: fc.boolean(), r: fc.boolean(), p: fc.boolean() });

const message: fc.Arbitrary<MobilityMessage> = fc.oneof(
  rec({ kind: fc.constant('bu' as const), ...common, sequence: u16, flags: buFlags, lifetimeSeconds: seconds }),
  rec({ kind: fc.constant('ba' as const), ...common, status: u8, flags: rec({ k: fc.boolean(), r: fc.boolean(), p: fc.boolean() }), sequence: u16, lifetimeSeconds: seconds }),
  rec({ kind: fc.constant('brr' as const), ...common }),
  rec({ kind: fc.constantFrom('hoti' as const, 'coti' as const), ...common, cookie: bytesOf(8) }),
  rec({ kind: fc.constantFrom('hot' as const, 'cot' as const), ...common, nonceIndex: u16, cookie: bytesOf(8), keygenToken: bytesOf(8) }),
  rec({ kind: fc.constant('be' as const), ...common, status: u8, homeAddress: address }),
  rec({ kind: fc.constant('has' as const), ...common, homeAgents: fc.array(address, { maxLength: 4 }) }),
  rec({
    kind: fc.constant('unknown' as const),
    payloadProto: fc.constant(59),
    checksum: u16,
    mhType: fc.integer({ min: 8, max: 255 }).filter((t) => t !== 12),
    body: fc.integer({ min: 0, max: 6 }).chain((n) => bytesOf(n * 8 + 2)),
    options: fc.constant<MobilityOption[]>([]),
  }),
);

type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'zero16'; at: number }
  | { op: 'cut'; at: number }
  | { op: 'extend'; extra: Uint8Array };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: rec({ op: fc.constant('flip' as const), at: fc.nat(), value: u8 }) },
  { weight: 1, arbitrary: rec({ op: fc.constant('zero16' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: rec({ op: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: rec({ op: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 24 }) }) },
);

function mutate(wire: Uint8Array, mutations: Mutation[], fixHeader: boolean): Uint8Array {
  let buf = Uint8Array.from(wire);
  for (const m of mutations) {
    if (m.op === 'flip' && buf.length) buf[m.at % buf.length] = m.value;
    else if (m.op === 'zero16' && buf.length > 1) buf.fill(0, m.at % (buf.length - 1), (m.at % (buf.length - 1)) + 2);
    else if (m.op === 'cut') buf = buf.subarray(0, m.at % (buf.length + 1));
    else if (m.op === 'extend') buf = Uint8Array.from([...buf, ...m.extra]);
  }
  if (fixHeader) {
    // Keep the header plausible so the mutation reaches the option parser.
    buf = buf.subarray(0, buf.length - (buf.length % 8));
    if (buf.length >= 8) {
      buf[0] = 59;
      buf[1] = buf.length / 8 - 1;
    }
  }
  return buf;
}

test('property: every message the generators make round-trips exactly', () => {
  fc.assert(
    fc.property(message, (msg) => {
      const wire = encodeMessage(msg, P);
      const r = decodeMessage(wire, P);
      assert.ok(r.ok);
      assert.deepEqual(r.value, msg);
      assert.deepEqual(encodeMessage(r.value, P), wire);
    }),
    { numRuns: 5_000 },
  );
});

test('property: decodeMessage never throws on mutated encodings (60,000 runs)', () => {
  fc.assert(
    fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (msg, mutations, fixHeader) => {
      check(mutate(encodeMessage(msg, P), mutations, fixHeader));
    }),
    { numRuns: 60_000 },
  );
});

test('property: decodeMessage never throws on random bytes (50,000 runs)', () => {
  const header = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 80 }));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), header), (input) => {
      if (input instanceof Uint8Array) return check(input);
      // Random bytes behind a valid common header of a random MH Type (0..12).
      const [type, rest] = input;
      const body = rest.subarray(0, rest.length - ((rest.length + 6) % 8));
      const buf = Uint8Array.from([59, (body.length + 6) / 8 - 1, type, 0, 0, 0, ...body]);
      if (buf.length >= 8) check(buf);
      else check(rest);
    }),
    { numRuns: 50_000 },
  );
});

test('the fuzzing reached every error code and every message kind', (t) => {
  assert.equal(exhaustive, true);
  const missing = [...CODES, 'ok:bu', 'ok:ba', 'ok:brr', 'ok:hoti', 'ok:coti', 'ok:hot', 'ok:cot', 'ok:be', 'ok:has', 'ok:unknown'].filter((k) => !seen.has(k));
  assert.deepEqual(missing, [], `never produced: ${missing.join(', ')}; seen ${JSON.stringify(Object.fromEntries(seen))}`);
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  assert.ok(total >= 100_000, `${total} inputs`);
  t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
});
