// The errno table: one row per rule an idempotent writer relies on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyscallError } from '../../../lib/platform/sys/errno.js';
import { KernelError, classifyErrno, classifyError, isPermanent, isSuccess, settle, type Outcome, type WriteIntent } from '../../../lib/platform/kernel-errors.js';

const rows: [string, number, WriteIntent, Outcome][] = [
  ['success', 0, 'create', 'ok'],
  ['EEXIST on create: the object is there, update it', 17, 'create', 'exists'],
  ['EEXIST on replace is a real failure', 17, 'replace', 'fail'],
  ['ENOENT on delete: already gone', 2, 'delete', 'gone'],
  ['ESRCH on delete (IPv6 route, XFRM state): already gone', 3, 'delete', 'gone'],
  ['ENODEV on delete (link): already gone', 19, 'delete', 'gone'],
  ['ENOENT on create (missing dependency) fails', 2, 'create', 'fail'],
  ['ENOBUFS: state or replies lost, resync', 105, 'replace', 'resync'],
  ['EBUSY: retry', 16, 'create', 'retry'],
  ['EAGAIN: retry', 11, 'delete', 'retry'],
  ['EINTR (dump interrupted too often): retry', 4, 'read', 'retry'],
  ['EINVAL: fail', 22, 'create', 'fail'],
  ['EPERM: fail', 1, 'delete', 'fail'],
  ['EPROTONOSUPPORT (no CONFIG_XFRM_USER): permanent', 93, 'create', 'permanent'],
  ['EAFNOSUPPORT (no IPv6): permanent', 97, 'read', 'permanent'],
  ['ENOSYS (system call not built in): permanent', 38, 'replace', 'permanent'],
  ['EOPNOTSUPP (link kind or XFRM type not supported): permanent', 95, 'create', 'permanent'],
  ['EOPNOTSUPP on delete is permanent too, not gone', 95, 'delete', 'permanent'],
];

for (const [name, errno, intent, outcome] of rows) {
  test(`errno table: ${name}`, () => {
    assert.equal(classifyErrno(errno, intent), outcome);
    assert.equal(classifyError(new KernelError(errno, 'op'), intent), errno === 0 ? 'ok' : outcome);
  });
}

test('KernelError carries errno, its name, the op and the extack text', () => {
  const e = new KernelError(17, 'RTM_NEWLINK ip6tnl mip6-1', 'File exists', 36);
  assert.equal(e.errno, 17);
  assert.equal(e.code, 'EEXIST');
  assert.equal(e.op, 'RTM_NEWLINK ip6tnl mip6-1');
  assert.equal(e.extack, 'File exists');
  assert.equal(e.extackOffset, 36);
  assert.equal(e.message, 'RTM_NEWLINK ip6tnl mip6-1: EEXIST (File exists)');
  assert.equal(new KernelError(4095, 'x').code, 'E4095');
});

test('non-kernel errors are failures; settle never rejects', async () => {
  assert.equal(classifyError(new TypeError('x'), 'delete'), 'fail');
  assert.deepEqual(await settle(Promise.resolve(), 'create'), { outcome: 'ok' });
  const s = await settle(Promise.reject(new KernelError(3, 'RTM_DELROUTE')), 'delete');
  assert.equal(s.outcome, 'gone');
  assert.ok(isSuccess(s.outcome));
  assert.ok(!isSuccess('exists'));
});

test('isPermanent: kernel refusals and failed system calls for a missing feature; nothing else', () => {
  assert.ok(isPermanent(new KernelError(95, 'RTM_NEWLINK ip6tnl mip6-1')));
  assert.ok(isPermanent(new SyscallError('socket', 97, '(10, 3, 135)')));
  assert.ok(isPermanent(new SyscallError('socket', 93, '(16, 3, 6)')));
  assert.ok(isPermanent(new KernelError(38, 'RTM_NEWNEXTHOP')));
  assert.ok(!isPermanent(new KernelError(16, 'XFRM_MSG_NEWSA')), 'EBUSY is transient');
  assert.ok(!isPermanent(new SyscallError('socket', 1, '(10, 3, 135)')), 'EPERM is a missing capability, not a missing feature');
  assert.ok(!isPermanent(new Error('ENOSYS')), 'never from the text of a message');
  assert.ok(!isPermanent(undefined));
});
