// Return routability formulas (RFC 6275 §5.2.5) against vectors computed independently
// with Python's hmac/hashlib, and the nonce table (§5.2.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import {
  authenticatedMhData,
  bindingAuthenticator,
  bindingManagementKey,
  careOfKeygenToken,
  homeKeygenToken,
  sealBindingAuthorization,
  verifyBindingAuthorization,
} from '../../../lib/proto/common/rr-crypto.js';
import { NonceTable } from '../../../lib/proto/cn/nonce.js';
import { counterRandom } from './random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

// python3: kcn = bytes(range(1,21)); hn = 0102030405060708; cn nonce = a1..a8
//   ht = hmac(kcn, hoa+hn+b'\0', sha1)[:8]; ct = hmac(kcn, coa+cnn+b'\1', sha1)[:8]
//   kbm = sha1(ht+ct); kbm0 = sha1(ht); auth = hmac(kbm, coa+cn+bytes(range(0x30,0x46)), sha1)[:12]
test('RFC 6275 §5.2.5 keygen tokens, Kbm and authenticator match independent vectors', () => {
  const kcn = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  const hoa = mustParseIp6('2001:db8:1::100');
  const coa = mustParseIp6('2001:db8:ffff::2');
  const cn = mustParseIp6('2001:db8:cccc::3');
  const ht = homeKeygenToken(kcn, hoa, bytes('0102030405060708'));
  const ct = careOfKeygenToken(kcn, coa, bytes('a1a2a3a4a5a6a7a8'));
  assert.equal(hex(ht), '6c8cefc4021443fb');
  assert.equal(hex(ct), 'a93474c248fd323f');
  const kbm = bindingManagementKey(ht, ct);
  assert.equal(hex(kbm), 'b958a0cf142a4f8744a01505edfb7f76a1a178eb');
  assert.equal(hex(bindingManagementKey(ht, null)), 'c1fa1b70240316a151391b78557ad32ea2238532');
  const mh = Uint8Array.from({ length: 22 }, (_, i) => 0x30 + i);
  assert.equal(hex(bindingAuthenticator(kbm, coa, cn, mh)), '4a75fec1f39630a493bcc0b3');
});

test('RFC 6275 §5.2.5 home and care-of tokens differ by their final octet (0 / 1)', () => {
  // python3: same Kcn/nonce/address, final octet 0 vs 1; sha1(home token) for de-registration.
  const kcn = bytes('00112233445566778899aabbccddeeff01234567');
  const addr = mustParseIp6('2001:db8:1:0:200:ff:fe00:a2a2');
  const nonce = bytes('deadbeefcafef00d');
  assert.equal(hex(homeKeygenToken(kcn, addr, nonce)), 'd1d6e872372e9b97');
  assert.equal(hex(careOfKeygenToken(kcn, addr, nonce)), '6b7add540698feed');
  assert.equal(hex(bindingManagementKey(bytes('d1d6e872372e9b97'), null)), 'a92e002aeabc4db0e6a2b78f81d08e636d5c2843');
});

test('the authenticator covers the MH with checksum zero, up to the option Type/Length', () => {
  const kbm = bytes('b958a0cf142a4f8744a01505edfb7f76a1a178eb');
  const coa = mustParseIp6('2001:db8:ffff::2');
  const cn = mustParseIp6('2001:db8:cccc::3');
  // 32-octet MH ending with Binding Authorization Data (type 5, length 12).
  const mh = new Uint8Array(32);
  mh.set([59, 3, 5, 0, 0xab, 0xcd], 0);
  mh[18] = 5;
  mh[19] = 12;
  assert.ok(sealBindingAuthorization(mh, kbm, coa, cn));
  const data = authenticatedMhData(mh)!;
  assert.equal(data.length, 20);
  assert.deepEqual([data[4], data[5]], [0, 0], 'checksum zeroed in the covered data');
  assert.deepEqual(mh.subarray(20), bindingAuthenticator(kbm, coa, cn, data));
  assert.ok(verifyBindingAuthorization(mh, kbm, coa, cn));
  mh[4] = 0x11; // the checksum is not covered
  assert.ok(verifyBindingAuthorization(mh, kbm, coa, cn));
  mh[8] = mh[8]! ^ 1;
  assert.ok(!verifyBindingAuthorization(mh, kbm, coa, cn));
  mh[19] = 13;
  assert.equal(authenticatedMhData(mh), null, 'must end with the Binding Authorization Data option');
});

test('RFC 6275 §5.2.7 nonce table: new nonce every period, valid MAX_NONCE_LIFETIME, indices wrap at 16 bits', () => {
  const t = new NonceTable({ randomBytes: counterRandom(1), regenerateMs: 30_000, kcnRotateMs: null }, 0);
  const a = t.current(0);
  assert.equal(t.current(29_999), a, 'same nonce within the period');
  const b = t.current(30_000);
  assert.notEqual(b, a);
  assert.equal(b.index, (a.index + 1) & 0xffff);
  assert.equal(t.lookup(a.index, 240_000), a, 'valid for 240 s');
  assert.equal(t.lookup(a.index, 240_001), null, 'then expired');
  assert.equal(t.lookup((b.index + 1) & 0xffff, 30_000), null, 'unknown index');
  assert.equal(a.kcn, b.kcn, 'Kcn unchanged without rotation');
});

test('Kcn rotation keeps nonces issued under the old Kcn usable', () => {
  const t = new NonceTable({ randomBytes: counterRandom(2), regenerateMs: 30_000, kcnRotateMs: 60_000 }, 0);
  const a = t.current(0);
  t.current(30_000);
  const c = t.current(60_000);
  assert.notDeepEqual(c.kcn, a.kcn);
  assert.deepEqual(t.lookup(a.index, 200_000)?.kcn, a.kcn);
});

test('old nonces are purged when new ones are made', () => {
  const t = new NonceTable({ randomBytes: counterRandom(3), regenerateMs: 30_000, kcnRotateMs: null }, 0);
  for (let ms = 0; ms <= 3_000_000; ms += 30_000) t.current(ms);
  assert.ok(t.size <= 9, `held ${t.size}`);
});
