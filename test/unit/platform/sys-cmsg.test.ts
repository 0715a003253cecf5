// Control messages for sendmsg/recvmsg: layout and malformed input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cmsgSpace, decodeCmsgs, encodeCmsgs } from '../../../lib/platform/sys/msghdr.js';
import { errnoName, SyscallError } from '../../../lib/platform/sys/errno.js';

test('cmsgs: 16-octet header, data padded to 8, round trip', () => {
  const list = [
    { level: 41, type: 50, data: Uint8Array.from({ length: 20 }, (_, i) => i) }, // in6_pktinfo
    { level: 41, type: 57, data: new Uint8Array(24).fill(7) },
  ];
  const b = encodeCmsgs(list);
  assert.equal(b.length, cmsgSpace(20) + cmsgSpace(24));
  assert.equal(cmsgSpace(20), 40);
  const v = new DataView(b.buffer);
  assert.equal(Number(v.getBigUint64(0, true)), 16 + 20, 'cmsg_len counts header and data, not padding');
  assert.deepEqual(decodeCmsgs(b), { cmsgs: list });
});

test('cmsgs: truncated header and lengths past the buffer are reported, earlier ones kept', () => {
  const good = encodeCmsgs([{ level: 41, type: 50, data: new Uint8Array(20) }]);
  const r1 = decodeCmsgs(Buffer.concat([good, new Uint8Array(8)]));
  assert.equal(r1.cmsgs.length, 1);
  assert.deepEqual(r1.error, { code: 'CMSG_TRUNCATED', offset: 40 });
  const bad = Uint8Array.from(good);
  new DataView(bad.buffer).setBigUint64(0, 1000n, true);
  assert.deepEqual(decodeCmsgs(bad), { cmsgs: [], error: { code: 'CMSG_BAD_LENGTH', offset: 0 } });
  new DataView(bad.buffer).setBigUint64(0, 4n, true);
  assert.deepEqual(decodeCmsgs(bad).error, { code: 'CMSG_BAD_LENGTH', offset: 0 });
  assert.deepEqual(decodeCmsgs(good, 0), { cmsgs: [] });
});

test('errno names and SyscallError', () => {
  assert.equal(errnoName(17), 'EEXIST');
  assert.equal(errnoName(-105), 'ENOBUFS');
  assert.equal(errnoName(0), 'E0');
  const e = new SyscallError('setns', 22, '/var/run/netns/x');
  assert.equal(e.code, 'EINVAL');
  assert.equal(e.errno, 22);
  assert.equal(e.message, 'setns /var/run/netns/x: EINVAL');
});
