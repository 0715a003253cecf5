// XFRM struct layouts (checked against linux/xfrm.h with gcc where available) and
// policy/state/report codecs, including malformed messages.
import { ip6 } from '../../ip6.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NetlinkParseError, parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import * as C from '../../../lib/platform/xfrm/xfrm-constants.js';
import { decodePolicy, encodePolicy, encodePolicyDel, type XfrmPolicy } from '../../../lib/platform/xfrm/policy.js';
import { decodeReport, encodeMigrate } from '../../../lib/platform/xfrm/report.js';
import { decodeState, encodeState, encodeStateDel, type XfrmState } from '../../../lib/platform/xfrm/state.js';
import { nlmsg } from './fake-kernel.js';

const one = (b: Uint8Array): NlMsg => parseMessages(b)[0]!;
const isParseError = (code: string) => (e: unknown): boolean => e instanceof NetlinkParseError && e.code === code;

// sizeof/offsetof printed by gcc against /usr/include/linux/xfrm.h on x86_64.
const LAYOUT: Record<string, number> = {
  'sizeof xfrm_selector': 56,
  'sizeof xfrm_usersa_info': 224,
  'sizeof xfrm_userpolicy_info': 168,
  'sizeof xfrm_user_tmpl': 64,
  'sizeof xfrm_userpolicy_id': 64,
  'sizeof xfrm_usersa_id': 24,
  'sizeof xfrm_user_report': 60,
  'sizeof xfrm_user_migrate': 76,
  'sizeof xfrm_algo': 68,
  'sizeof xfrm_algo_aead': 72,
  'sizeof xfrm_algo_auth': 72,
  'sizeof xfrm_userpolicy_type': 6,
  'xfrm_usersa_info.reqid': 208,
  'xfrm_usersa_info.family': 212,
  'xfrm_usersa_info.mode': 214,
  'xfrm_usersa_info.flags': 216,
  'xfrm_userpolicy_info.priority': 152,
  'xfrm_userpolicy_info.dir': 160,
  'xfrm_user_tmpl.saddr': 28,
  'xfrm_user_tmpl.reqid': 44,
  'xfrm_user_tmpl.optional': 50,
  'xfrm_selector.family': 40,
  'xfrm_selector.proto': 44,
};

test('layout constants match the gcc-measured layout of linux/xfrm.h', () => {
  assert.equal(C.XFRM_SELECTOR_SIZE, LAYOUT['sizeof xfrm_selector']);
  assert.equal(C.XFRM_USERSA_INFO_SIZE, LAYOUT['sizeof xfrm_usersa_info']);
  assert.equal(C.XFRM_USERPOLICY_INFO_SIZE, LAYOUT['sizeof xfrm_userpolicy_info']);
  assert.equal(C.XFRM_USER_TMPL_SIZE, LAYOUT['sizeof xfrm_user_tmpl']);
  assert.equal(C.XFRM_USERPOLICY_ID_SIZE, LAYOUT['sizeof xfrm_userpolicy_id']);
  assert.equal(C.XFRM_USERSA_ID_SIZE, LAYOUT['sizeof xfrm_usersa_id']);
  assert.equal(C.XFRM_USER_REPORT_SIZE, LAYOUT['sizeof xfrm_user_report']);
  assert.equal(C.XFRM_USER_MIGRATE_SIZE, LAYOUT['sizeof xfrm_user_migrate']);
  assert.equal(C.XFRM_ALGO_SIZE, LAYOUT['sizeof xfrm_algo']);
  assert.equal(C.XFRM_ALGO_AEAD_SIZE, LAYOUT['sizeof xfrm_algo_aead']);
  assert.equal(C.XFRM_ALGO_AUTH_SIZE, LAYOUT['sizeof xfrm_algo_auth']);
  assert.equal(C.XFRM_USERPOLICY_TYPE_SIZE, LAYOUT['sizeof xfrm_userpolicy_type']);
});

test('the measured layout still holds for this machine\'s headers (gcc)', (t) => {
  let gcc = true;
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    gcc = false;
  }
  if (!gcc) return t.skip('gcc is not installed; the constants test above still checks the recorded layout');
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-xfrm-'));
  try {
    const lines = Object.keys(LAYOUT).map((k) => {
      const [a, b] = k.split(k.startsWith('sizeof') ? ' ' : '.');
      const expr = k.startsWith('sizeof') ? `sizeof(struct ${b})` : `offsetof(struct ${a}, ${b})`;
      return `printf("%s=%zu\\n", "${k}", (size_t)${expr});`;
    });
    writeFileSync(join(dir, 'l.c'), `#include <stdio.h>\n#include <stddef.h>\n#include <linux/xfrm.h>\nint main(void){${lines.join('')}return 0;}\n`);
    execFileSync('gcc', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    const out = execFileSync(join(dir, 'l'), { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const [k, v] = line.split('=');
      assert.equal(Number(v), LAYOUT[k!], k);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const roPolicy: XfrmPolicy = {
  selector: { src: ip6('::'), srcLen: 0, dst: ip6('::'), dstLen: 0, proto: 135, mhType: 5 },
  dir: 'in',
  priority: 10,
  index: 0,
  action: 'allow',
  type: 'sub',
  templates: [{ proto: C.IPPROTO_DSTOPTS, mode: C.XFRM_MODE_ROUTEOPTIMIZATION, src: ip6('::'), dst: ip6('::'), spi: 0, reqid: 0, share: 0, optional: true }],
};

test('policy: payload is xfrm_userpolicy_info then attributes; round-trips incl. MH type and sub type', () => {
  const m = one(encodePolicy(roPolicy, true));
  assert.equal(m.type, C.XFRM_MSG_UPDPOLICY);
  assert.equal(m.payload[160], C.XFRM_POLICY_IN);
  // The MH type travels in sport (big-endian), with a full mask.
  assert.deepEqual([...m.payload.subarray(36, 40)], [0, 5, 0xff, 0xff]);
  assert.deepEqual(decodePolicy(m), roPolicy);
  const esp: XfrmPolicy = {
    selector: { src: ip6('2001:db8::1'), srcLen: 128, dst: ip6('2001:db8:2::'), dstLen: 64, proto: 0 },
    dir: 'out',
    priority: 5,
    index: 0,
    action: 'block',
    type: 'main',
    templates: [{ proto: C.IPPROTO_ESP, mode: C.XFRM_MODE_TUNNEL, src: ip6('2001:db8::a'), dst: ip6('2001:db8::b'), spi: 0, reqid: 7, share: 0, optional: false }],
    mark: { value: 5, mask: 0xff },
  };
  assert.deepEqual(decodePolicy(one(encodePolicy(esp, false))), esp);
});

test('policy: delete is xfrm_userpolicy_id; malformed policies fail typed', () => {
  const d = one(encodePolicyDel({ selector: roPolicy.selector, dir: 'fwd', type: 'sub' }));
  assert.equal(d.type, C.XFRM_MSG_DELPOLICY);
  assert.equal(d.payload[60], C.XFRM_POLICY_FWD);
  const m = one(encodePolicy(roPolicy, false));
  assert.throws(() => decodePolicy({ ...m, payload: m.payload.subarray(0, 100) }), isParseError('STRUCT_TRUNCATED'));
  const bad = Uint8Array.from(m.payload);
  new DataView(bad.buffer).setUint16(168, 4 + 60, true); // XFRMA_TMPL of 60 octets
  assert.throws(() => decodePolicy({ ...m, payload: bad }), (e: unknown) => e instanceof NetlinkParseError);
});

test('state: ESP with AEAD and RO state with care-of address round-trip', () => {
  const esp: XfrmState = {
    selector: { src: ip6('2001:db8::1'), srcLen: 128, dst: ip6('2001:db8::2'), dstLen: 128, proto: 135 },
    src: ip6('2001:db8::1'),
    dst: ip6('2001:db8::2'),
    proto: C.IPPROTO_ESP,
    spi: 0xc0000001,
    mode: C.XFRM_MODE_TRANSPORT,
    reqid: 3,
    replayWindow: 32,
    flags: 0,
    aead: { name: 'rfc4106(gcm(aes))', key: Uint8Array.from({ length: 20 }, (_, i) => i), icvBits: 128 },
    current: { bytes: 0, packets: 0, addTime: 0, useTime: 0 },
  };
  const m = one(encodeState(esp, false));
  assert.equal(m.payload.length >= C.XFRM_USERSA_INFO_SIZE, true);
  assert.deepEqual([...m.payload.subarray(72, 76)], [0xc0, 0, 0, 1], 'SPI is big-endian');
  // XFRM_INF lifetimes, or the state would expire at once.
  assert.deepEqual([...m.payload.subarray(96, 128)], new Array(32).fill(0xff));
  assert.deepEqual(decodeState(m), esp);

  const ro: XfrmState = {
    selector: { src: ip6('::'), srcLen: 0, dst: ip6('::'), dstLen: 0, proto: 0 },
    src: ip6('::'),
    dst: ip6('::'),
    proto: C.IPPROTO_DSTOPTS,
    spi: 0,
    mode: C.XFRM_MODE_ROUTEOPTIMIZATION,
    reqid: 0,
    replayWindow: 0,
    flags: C.XFRM_STATE_WILDRECV,
    coaddr: ip6('2001:db8:9::1'),
    current: { bytes: 0, packets: 0, addTime: 0, useTime: 0 },
  };
  assert.deepEqual(decodeState(one(encodeState(ro, true))), ro);
  const crypt: XfrmState = {
    ...esp,
    aead: undefined,
    crypt: { name: 'cbc(aes)', key: new Uint8Array(16).fill(1) },
    auth: { name: 'hmac(sha256)', key: new Uint8Array(32).fill(2), truncBits: 128 },
  };
  delete crypt.aead;
  assert.deepEqual(decodeState(one(encodeState(crypt, false))), crypt);
});

test('state: delete carries XFRMA_SRCADDR; a key longer than its attribute fails typed', () => {
  const d = one(encodeStateDel({ src: ip6('2001:db8::1'), dst: ip6('2001:db8::2'), proto: 60, spi: 0 }));
  assert.equal(d.type, C.XFRM_MSG_DELSA);
  assert.equal(d.payload.length, 24 + 20);
  const m = one(encodeState({ src: ip6('::'), dst: ip6('::'), proto: 50, spi: 1, mode: 0, reqid: 0, crypt: { name: 'cbc(aes)', key: new Uint8Array(16) } }, false));
  const bad = Uint8Array.from(m.payload);
  new DataView(bad.buffer).setUint32(224 + 4 + 64, 256, true); // alg_key_len: 256 bits, 16 octets present
  assert.throws(() => decodeState({ ...m, payload: bad }), isParseError('STRUCT_TRUNCATED'));
  assert.throws(() => encodeState({ src: ip6('::'), dst: ip6('::'), proto: 50, spi: 1, mode: 0, reqid: 0, crypt: { name: 'x'.repeat(64), key: new Uint8Array(1) } }, false), RangeError);
});

test('report: proto, selector and care-of address; a short report fails typed', () => {
  const p = new Uint8Array(60 + 20);
  p[0] = C.IPPROTO_DSTOPTS;
  p.set(Buffer.from('20010db8000000000000000000000002', 'hex'), 4); // sel.daddr
  p.set(Buffer.from('20010db8000000000000000000000001', 'hex'), 4 + 16); // sel.saddr
  new DataView(p.buffer).setUint16(4 + 40, 10, true);
  p[4 + 42] = 128;
  p[4 + 43] = 128;
  const v = new DataView(p.buffer);
  v.setUint16(60, 20, true);
  v.setUint16(62, C.XFRMA_COADDR, true);
  p.set(Buffer.from('20010db8000900000000000000000001', 'hex'), 64);
  const r = decodeReport(one(nlmsg(C.XFRM_MSG_REPORT, 0, 0, p)));
  assert.deepEqual(r, { proto: 60, selector: { src: '2001:db8::1', srcLen: 128, dst: '2001:db8::2', dstLen: 128, proto: 0 }, coaddr: '2001:db8:9::1' });
  assert.throws(() => decodeReport(one(nlmsg(C.XFRM_MSG_REPORT, 0, 0, p.subarray(0, 40)))), isParseError('STRUCT_TRUNCATED'));
});

test('migrate: userpolicy_id then XFRMA_MIGRATE entries of 76 octets', () => {
  const m = one(
    encodeMigrate({ src: ip6('::'), srcLen: 0, dst: ip6('2001:db8::1'), dstLen: 128, proto: 0 }, 'out', 'main', [
      { oldSrc: ip6('2001:db8::a'), oldDst: ip6('2001:db8::b'), newSrc: ip6('2001:db8::c'), newDst: ip6('2001:db8::b'), proto: 50, mode: 1, reqid: 7 },
    ]),
  );
  assert.equal(m.type, C.XFRM_MSG_MIGRATE);
  const v = new DataView(m.payload.buffer, m.payload.byteOffset);
  assert.equal(v.getUint16(64, true), 4 + 76);
  assert.equal(v.getUint16(66, true), C.XFRMA_MIGRATE);
  assert.equal(m.payload[68 + 64], 50);
  assert.equal(v.getUint32(68 + 68, true), 7);
});
