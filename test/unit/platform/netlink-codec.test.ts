// Netlink encoding and decoding: the writer, attribute sets, message splitting and
// acknowledgements, with every malformed shape giving a NetlinkParseError.
import { ip6, notIp6 } from '../../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAck, parseDone } from '../../../lib/platform/netlink/nlmsgerr.js';
import { NLA_F_NESTED, NLMSG_ERROR } from '../../../lib/platform/netlink/netlink-constants.js';
import { AttrSet, NetlinkParseError, parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import { NlWriter } from '../../../lib/platform/netlink/writer.js';
import { ack, done, nlmsg } from './fake-kernel.js';

const parseError = (code: string) => (err: unknown): boolean => err instanceof NetlinkParseError && err.code === code;

test('writer: header, fixed fields, attributes with padding, nested attributes', () => {
  const w = new NlWriter(8); // grows as needed
  const m = w
    .begin(16, 0x400)
    .u8(10)
    .u8(0)
    .u16(0x1234)
    .attrU8(1, 0xab)
    .attrString(3, 'tun0')
    .attrU32(4, 0xdeadbeef)
    .attrIp6(5, ip6('2001:db8::1'))
    .finish();
  const [msg] = parseMessages(m);
  assert.equal(m.length % 4, 0);
  assert.equal(msg!.type, 16);
  assert.equal(msg!.flags, 0x401, 'NLM_F_REQUEST is always set');
  assert.equal(new DataView(m.buffer, m.byteOffset).getUint32(0, true), m.length);
  const a = new AttrSet(msg!.payload, 4);
  assert.equal(a.u8(1), 0xab);
  assert.equal(a.string(3), 'tun0');
  assert.equal(a.u32(4), 0xdeadbeef);
  assert.equal(a.ip6(5), '2001:db8::1');
  assert.equal(a.bytes(1)!.length, 1, 'nla_len excludes padding');

  const n = w.begin(16).u32(0);
  const outer = n.beginNest(18);
  n.attrString(1, 'ip6tnl');
  const inner = n.beginNest(2);
  n.attrU8(4, 64).attrU32(8, 8);
  n.endNest(inner).endNest(outer);
  const nm = parseMessages(n.finish())[0]!;
  const top = new AttrSet(nm.payload, 4);
  const li = top.nested(18)!;
  assert.equal(li.string(1), 'ip6tnl');
  assert.equal(li.nested(2)!.u8(4), 64);
  assert.equal(li.nested(2)!.u32(8), 8);
  // NLA_F_NESTED is set on the wire and stripped by the reader.
  assert.equal(new DataView(nm.payload.buffer, nm.payload.byteOffset).getUint16(4 + 2, true), 18 | NLA_F_NESTED);
});

test('writer: finished messages are independent copies', () => {
  const w = new NlWriter();
  const a = w.begin(24).u32(1).finish();
  const b = w.begin(25).u32(2).finish();
  assert.equal(parseMessages(a)[0]!.type, 24);
  assert.equal(parseMessages(b)[0]!.type, 25);
  const big = w.begin(26).zeros(20000).finish();
  w.begin(27).zeros(20000).finish();
  assert.equal(parseMessages(big)[0]!.type, 26);
});

test('writer: u64 infinity and invalid addresses', () => {
  const w = new NlWriter();
  const m = w.begin(1).u64('inf').u64(5).finish();
  assert.deepEqual([...m.subarray(16, 24)], new Array(8).fill(255));
  assert.equal(m[24], 5);
  assert.throws(() => w.begin(1).ip6(notIp6('2001:db8::g')), TypeError);
  assert.throws(() => w.begin(1).ip6(new Uint8Array(4)), TypeError);
});

test('parseMessages: several messages in one datagram', () => {
  const d = Buffer.concat([nlmsg(16, 1, 2, Uint8Array.of(1, 2, 3)), nlmsg(3, 1, 2)]);
  const ms = parseMessages(d);
  assert.deepEqual(ms.map((m) => [m.type, m.seq, m.payload.length]), [[16, 1, 3], [3, 1, 0]]);
});

test('parseMessages: truncated header, short and overlong nlmsg_len are typed errors', () => {
  assert.throws(() => parseMessages(new Uint8Array(10)), parseError('MSG_TRUNCATED'));
  const short = nlmsg(16, 1, 0);
  new DataView(short.buffer).setUint32(0, 8, true);
  assert.throws(() => parseMessages(short), parseError('MSG_BAD_LENGTH'));
  const long = nlmsg(16, 1, 0, new Uint8Array(4));
  new DataView(long.buffer).setUint32(0, 400, true);
  assert.throws(() => parseMessages(long), (e: unknown) => parseError('MSG_BAD_LENGTH')(e) && (e as NetlinkParseError).offset === 0);
  const second = Buffer.concat([nlmsg(16, 1, 0), new Uint8Array(6)]);
  assert.throws(() => parseMessages(second), (e: unknown) => parseError('MSG_TRUNCATED')(e) && (e as NetlinkParseError).offset === 16);
});

test('AttrSet: bad lengths and undersized payloads are typed errors', () => {
  assert.throws(() => new AttrSet(Uint8Array.of(8, 0, 1)), parseError('ATTR_TRUNCATED'));
  assert.throws(() => new AttrSet(Uint8Array.of(2, 0, 1, 0)), parseError('ATTR_BAD_LENGTH'));
  assert.throws(() => new AttrSet(Uint8Array.of(12, 0, 1, 0, 0, 0, 0, 0)), parseError('ATTR_BAD_LENGTH'));
  const a = new AttrSet(Uint8Array.of(6, 0, 1, 0, 7, 0, 0, 0));
  assert.equal(a.u16(1), 7);
  assert.throws(() => a.u32(1), parseError('ATTR_BAD_SIZE'));
  assert.throws(() => a.ip6(1), parseError('ATTR_BAD_SIZE'));
  assert.equal(a.u32(2), undefined);
});

test('fuzz: random octets either parse or fail with NetlinkParseError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        for (const m of parseMessages(bytes)) {
          const a = new AttrSet(m.payload, 0);
          for (const t of a.types) {
            a.u32(t);
            a.ip6(t);
            a.nested(t);
          }
        }
      } catch (err) {
        if (!(err instanceof NetlinkParseError)) throw err;
      }
    }),
    { numRuns: 2000 },
  );
});

const one = (b: Uint8Array): NlMsg => parseMessages(b)[0]!;

test('parseAck: plain ACK, error with extack message and offset', () => {
  assert.deepEqual(parseAck(one(ack(5))), { errno: 0 });
  assert.deepEqual(parseAck(one(ack(5, 22, { msg: 'Invalid prefix', offs: 36 }))), { errno: 22, extack: 'Invalid prefix', extackOffset: 36 });
});

test('parseAck: an uncapped ACK echoing the request finds the TLVs after it', () => {
  const echoed = nlmsg(24, 9, 5, new Uint8Array(12));
  const tl = Uint8Array.of(8, 0, 1, 0, 0x62, 0x61, 0x64, 0); // NLMSGERR_ATTR_MSG "bad"
  const p = new Uint8Array(4 + echoed.length + tl.length);
  new DataView(p.buffer).setInt32(0, -2, true);
  p.set(echoed, 4);
  p.set(tl, 4 + echoed.length);
  assert.deepEqual(parseAck(one(nlmsg(NLMSG_ERROR, 9, 0x200, p))), { errno: 2, extack: 'bad' });
});

test('parseAck: truncated, positive error and bad echoed length are typed errors', () => {
  assert.throws(() => parseAck(one(nlmsg(NLMSG_ERROR, 1, 0, new Uint8Array(8)))), parseError('STRUCT_TRUNCATED'));
  const pos = new Uint8Array(20);
  new DataView(pos.buffer).setInt32(0, 5, true);
  assert.throws(() => parseAck(one(nlmsg(NLMSG_ERROR, 1, 0, pos))), parseError('BAD_VALUE'));
  const bad = new Uint8Array(20);
  new DataView(bad.buffer).setUint32(4, 300, true);
  assert.throws(() => parseAck(one(nlmsg(NLMSG_ERROR, 1, 0x200, bad))), parseError('MSG_BAD_LENGTH'));
});

test('parseDone: empty, zero and failing NLMSG_DONE', () => {
  assert.deepEqual(parseDone(one(nlmsg(3, 1, 2))), { errno: 0 });
  assert.deepEqual(parseDone(one(done(1))), { errno: 0 });
  assert.deepEqual(parseDone(one(done(1, 2, 4))), { errno: 4 });
});
