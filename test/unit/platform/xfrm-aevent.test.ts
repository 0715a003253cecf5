// XFRM_MSG_NEWAE (lib/platform/xfrm/aevent.ts) against bytes laid out as the kernel's
// build_aevent writes them: struct xfrm_aevent_id, then XFRMA_REPLAY_VAL or
// XFRMA_REPLAY_ESN_VAL, XFRMA_LTIME_VAL, the thresholds; and every malformed shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetlinkParseError, parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import { NLM_F_REPLACE, NLM_F_REQUEST } from '../../../lib/platform/netlink/netlink-constants.js';
import { decodeAevent, encodeGetAe, encodeSetReplay } from '../../../lib/platform/xfrm/aevent.js';
import * as C from '../../../lib/platform/xfrm/xfrm-constants.js';
import { concat, nlmsg, tlv } from './fake-kernel.js';

const DST = '2001:db8:f1::10';
const SRC = '2001:db8:aa::1';
const hexBytes = (h: string): number[] => h.match(/../g)!.map((x) => parseInt(x, 16));

/** struct xfrm_aevent_id, by hand: daddr, spi (be), family, proto, pad, saddr, flags, reqid. */
function aeventId(o: { family?: number; flags: number; reqid: number; spi: number }): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  b.set(hexBytes('20010db800f100000000000000000010'), 0);
  v.setUint32(16, o.spi, false);
  v.setUint16(20, o.family ?? 10, true);
  b[22] = 50;
  b.set(hexBytes('20010db800aa00000000000000000001'), 24);
  v.setUint32(40, o.flags, true);
  v.setUint32(44, o.reqid, true);
  return b;
}

function u32s(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  const v = new DataView(b.buffer);
  xs.forEach((x, i) => v.setUint32(i * 4, x, true));
  return b;
}

const msg = (...parts: Uint8Array[]): NlMsg => parseMessages(nlmsg(C.XFRM_MSG_NEWAE, 0, 0, concat(parts)))[0]!;
const code = (c: string) => (e: unknown): boolean => e instanceof NetlinkParseError && e.code === c;

test('a replay-update event (XFRM_AE_CR) of an outbound SA: identity, oseq, thresholds', () => {
  const ev = decodeAevent(msg(
    aeventId({ flags: C.XFRM_AE_CR | C.XFRM_AE_RTHR | C.XFRM_AE_ETHR, reqid: 0x4d430021, spi: 0x2002 }),
    tlv(C.XFRMA_REPLAY_VAL, u32s(1234, 0, 0)),
    tlv(C.XFRMA_LTIME_VAL, new Uint8Array(32)),
    tlv(C.XFRMA_REPLAY_THRESH, u32s(2)),
    tlv(C.XFRMA_ETIMER_THRESH, u32s(10)),
    tlv(C.XFRMA_MARK, u32s(7, 0xff)),
  ));
  assert.ok(ev);
  assert.deepEqual(ev.sa, { dst: DST, spi: 0x2002, proto: 50, src: SRC, reqid: 0x4d430021, mark: { value: 7, mask: 0xff } });
  assert.equal(ev.flags, C.XFRM_AE_CR | C.XFRM_AE_RTHR | C.XFRM_AE_ETHR);
  assert.deepEqual(ev.replay, { oseq: 1234, seq: 0, bitmap: 0, oseqHi: 0, seqHi: 0, esn: false });
  assert.equal(ev.replayThresh, 2);
  assert.equal(ev.etimerThresh, 10);
});

test('an SPI with the top bit set and a u32 oseq near 2^32 decode unsigned', () => {
  const ev = decodeAevent(msg(aeventId({ flags: C.XFRM_AE_CE, reqid: 1, spi: 0xfffffff0 }), tlv(C.XFRMA_REPLAY_VAL, u32s(0xfffffffe, 5, 0x80000001))));
  assert.equal(ev?.sa.spi, 0xfffffff0);
  assert.equal(ev?.replay.oseq, 0xfffffffe);
  assert.equal(ev?.replay.bitmap, 0x80000001);
  assert.equal(ev?.replayThresh, undefined);
});

test('an ESN state: counters from XFRMA_REPLAY_ESN_VAL, bitmap words inside the attribute', () => {
  const esn = concat([u32s(2, 100, 90, 1, 0, 64), u32s(0xffffffff, 0xffffffff)]);
  const ev = decodeAevent(msg(aeventId({ flags: C.XFRM_AE_CR, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_ESN_VAL, esn)));
  assert.deepEqual(ev?.replay, { oseq: 100, seq: 90, oseqHi: 1, seqHi: 0, esn: true });
});

test('malformed: truncated id, no replay attribute, short replay attribute, bmp_len past the attribute, bad attribute length', () => {
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }).subarray(0, 47))), code('STRUCT_TRUNCATED'));
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }))), code('BAD_VALUE'));
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_VAL, u32s(1, 2)))), code('STRUCT_TRUNCATED'));
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_ESN_VAL, u32s(3, 1, 1, 0, 0, 96, 0)))), code('ATTR_BAD_SIZE'));
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_ESN_VAL, u32s(0, 1, 1)))), code('STRUCT_TRUNCATED'));
  const badLen = tlv(C.XFRMA_REPLAY_VAL, u32s(1, 2, 3));
  new DataView(badLen.buffer).setUint16(0, 200, true);
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }), badLen)), code('ATTR_BAD_LENGTH'));
  assert.throws(() => decodeAevent(msg(aeventId({ flags: 0, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_VAL, u32s(1, 2, 3)), tlv(C.XFRMA_REPLAY_THRESH, new Uint8Array(2)))), code('ATTR_BAD_SIZE'));
});

test('an IPv4 state is not ours: undefined', () => {
  assert.equal(decodeAevent(msg(aeventId({ family: 2, flags: 0, reqid: 1, spi: 0x100 }), tlv(C.XFRMA_REPLAY_VAL, u32s(1, 0, 0)))), undefined);
});

test('GETAE and NEWAE (set) carry the id as the kernel reads it; NEWAE has NLM_F_REPLACE and the three replay words', () => {
  const get = parseMessages(encodeGetAe({ dst: DST as never, spi: 0x2002, proto: 50 }, C.XFRM_AE_RTHR))[0]!;
  assert.equal(get.type, C.XFRM_MSG_GETAE);
  assert.deepEqual([...get.payload.subarray(0, 48)], [...aeventId({ flags: C.XFRM_AE_RTHR, reqid: 0, spi: 0x2002 }).map((x, i) => (i >= 24 && i < 40 ? 0 : x))]);
  const set = parseMessages(encodeSetReplay({ dst: DST as never, spi: 0x2002, proto: 50, mark: { value: 7, mask: 0xff } }, { oseq: 5000, seq: 3, bitmap: 0b101 }))[0]!;
  assert.equal(set.type, C.XFRM_MSG_NEWAE);
  assert.equal(set.flags & (NLM_F_REPLACE | NLM_F_REQUEST), NLM_F_REPLACE | NLM_F_REQUEST);
  // Decoding it back as an event gives the same counters (the kernel's attribute layout).
  const back = decodeAevent(set);
  assert.deepEqual(back?.replay, { oseq: 5000, seq: 3, bitmap: 0b101, oseqHi: 0, seqHi: 0, esn: false });
  assert.deepEqual(back?.sa.mark, { value: 7, mask: 0xff });
});
