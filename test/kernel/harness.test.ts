// Self-tests of the user-mode Linux harness: the kernel the kernel tests run in has what
// mcoa needs (ip6tnl, MIPv6 route-optimization XFRM states, ESP, nexthop groups, proxy
// neighbours), and test/kernel/netns.ts isolates and cleans up. Outside UML every test
// here fails, by design: a missing feature must never turn into a skip.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addVethPair, assertInUml, CommandError, createNetns, sh, withNetns, withNetnsGroup } from './netns.js';

/** Parses `ip -j` output, which is always a JSON array of objects. */
function ipJson(text: string): Record<string, unknown>[] {
  const value: unknown = JSON.parse(text);
  assert.ok(Array.isArray(value), `ip -j gave ${text}`);
  return value as Record<string, unknown>[];
}

function only(rows: Record<string, unknown>[], what: string): Record<string, unknown> {
  assert.equal(rows.length, 1, `expected one ${what}, got ${JSON.stringify(rows)}`);
  return rows[0] as Record<string, unknown>;
}

test('runs inside user-mode Linux as root with MCOA_IN_UML=1', () => {
  assertInUml();
  assert.equal(process.env['MCOA_IN_UML'], '1');
  assert.match(readFileSync('/proc/cpuinfo', 'utf8'), /User Mode Linux/i, '/proc/cpuinfo is not a UML kernel');
  assert.equal(process.getuid?.(), 0, 'kernel tests run as root');
});

test('each thread of a process gets its own vector registers back across thread switches, AVX-512 included', (t) => {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-vector-'));
  try {
    const program = join(dir, 'vector-threads');
    const cc = spawnSync('cc', ['-O2', '-pthread', '-o', program, join(repo, 'test', 'kernel', 'fixtures', 'vector-threads.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const run = spawnSync(program, { encoding: 'utf8', timeout: 600_000 });
    if (run.status === 77) {
      t.skip(run.stdout.trim());
      return;
    }
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    t.diagnostic(run.stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ip6tnl: an ip6ip6 tunnel is created and read back', async () => {
  await withNetns(async (ns) => {
    await ns.ip('link', 'add', 't0', 'type', 'ip6tnl', 'local', '2001:db8::1', 'remote', '2001:db8::2', 'mode', 'ip6ip6');
    const text = await ns.ip('-d', 'link', 'show', 't0');
    assert.match(text, /ip6tnl ip6ip6 remote 2001:db8::2 local 2001:db8::1/);
    const link = only(ipJson(await ns.ip('-j', '-d', 'link', 'show', 't0')), 'link');
    const info = link['linkinfo'] as { info_kind?: string; info_data?: Record<string, unknown> } | undefined;
    assert.equal(info?.info_kind, 'ip6tnl');
    assert.equal(info?.info_data?.['proto'], 'ip6ip6');
    assert.equal(info?.info_data?.['local'], '2001:db8::1');
    assert.equal(info?.info_data?.['remote'], '2001:db8::2');
  });
});

test('xfrm: Mobile IPv6 route-optimization states (hao, route2) and an RO policy template are accepted', async () => {
  await withNetns(async (ns) => {
    await ns.ip('xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'hao', 'spi', '0', 'mode', 'ro',
      'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0');
    await ns.ip('xfrm', 'state', 'add', 'src', '2001:db8::1', 'dst', '2001:db8:5::1', 'proto', 'route2', 'spi', '0',
      'mode', 'ro', 'coa', '2001:db8:6::1', 'sel', 'src', '2001:db8::1/128', 'dst', '2001:db8:5::1/128');
    await ns.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'ptype', 'sub',
      'tmpl', 'proto', 'hao', 'mode', 'ro', 'level', 'use');
    const states = await ns.ip('xfrm', 'state', 'list');
    assert.match(states, /^src :: dst ::\n\s+proto hao reqid 0 mode ro\n\s+replay-window 0 flag wildrecv\n\s+coa ::\n/m);
    assert.match(states, /^src 2001:db8::1 dst 2001:db8:5::1\n\s+proto route2 reqid 0 mode ro\n.*\n\s+coa 2001:db8:6::1\n/m);
    const policies = await ns.ip('xfrm', 'policy', 'list', 'ptype', 'sub');
    assert.match(policies, /^src ::\/0 dst ::\/0 proto mobility-header\s*\n\s+dir in priority 0 ptype sub/m);
    assert.match(policies, /tmpl src :: dst ::\n\s+proto hao reqid 0 mode ro\n\s+level use/);
  });
});

test('xfrm: an ESP transport state with rfc4106(gcm(aes)) is accepted', async () => {
  await withNetns(async (ns) => {
    const key = `0x${'0123456789abcdef'.repeat(2)}01020304`; // 16-byte AES key + 4-byte salt
    await ns.ip('xfrm', 'state', 'add', 'src', '2001:db8::1', 'dst', '2001:db8::2', 'proto', 'esp', 'spi', '0x1000',
      'reqid', '1', 'mode', 'transport', 'aead', 'rfc4106(gcm(aes))', key, '128');
    const states = await ns.ip('xfrm', 'state', 'list');
    assert.match(states, /proto esp spi 0x00001000 reqid 1 mode transport/);
    assert.match(states, /aead rfc4106\(gcm\(aes\)\) 0x0123456789abcdef0123456789abcdef01020304 128/);
  });
});

test('nexthop: a route over a group of tunnel next hops follows the group when it changes', async () => {
  await withNetns(async (ns) => {
    for (const [dev, remote] of [['t0', '2001:db8::2'], ['t1', '2001:db8::3']] as const) {
      await ns.ip('link', 'add', dev, 'type', 'ip6tnl', 'local', '2001:db8::1', 'remote', remote, 'mode', 'ip6ip6');
      await ns.ip('link', 'set', dev, 'up');
    }
    await ns.ip('-6', 'nexthop', 'add', 'id', '1', 'dev', 't0');
    await ns.ip('-6', 'nexthop', 'add', 'id', '2', 'dev', 't1');
    await ns.ip('nexthop', 'add', 'id', '10', 'group', '1');
    await ns.ip('-6', 'route', 'add', '2001:db8:1::1/128', 'nhid', '10');

    const group = only(ipJson(await ns.ip('-j', 'nexthop', 'show', 'id', '10')), 'nexthop');
    assert.deepEqual((group['group'] as { id: number }[]).map((m) => m.id), [1]);
    const route = only(ipJson(await ns.ip('-j', '-6', 'route', 'show', '2001:db8:1::1/128')), 'route');
    assert.equal(route['nhid'], 10);
    const via = async (): Promise<unknown> => only(ipJson(await ns.ip('-j', '-6', 'route', 'get', '2001:db8:1::1')), 'route')['dev'];
    assert.equal(await via(), 't0');

    await ns.ip('nexthop', 'replace', 'id', '10', 'group', '2');
    assert.equal(await via(), 't1');
  });
});

test('neighbour: a proxy entry is added on a veth link and read back', async () => {
  await withNetns(async (ns) => {
    await addVethPair(ns, 'veth0', ns, 'veth1');
    await ns.ip('link', 'set', 'veth0', 'up');
    await ns.exec('sysctl', '-q', '-w', 'net.ipv6.conf.veth0.proxy_ndp=1');
    await ns.ip('-6', 'neigh', 'add', 'proxy', '2001:db8::5', 'dev', 'veth0');
    const text = await ns.ip('-6', 'neigh', 'show', 'proxy');
    assert.match(text, /^2001:db8::5 dev veth0 proxy/m);
  });
});

test('netns helper: namespaces are isolated from each other and deleted afterwards, also when the body throws', async () => {
  let names: string[] = [];
  await withNetnsGroup(2, async ([a, b]) => {
    assert.ok(a && b);
    names = [a.name, b.name];
    assert.match(a.name, new RegExp(`^mcoa-${process.pid}-\\d+$`));
    assert.notEqual(a.name, b.name);
    await a.ip('link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
    await assert.rejects(b.ip('link', 'show', 'x0'), CommandError, 'a link in one namespace is visible in another');
  });
  assert.equal(names.length, 2);
  const listed = await sh('ip', ['netns', 'list']);
  for (const name of names) {
    assert.ok(!existsSync(`/run/netns/${name}`), `${name} was not deleted`);
    assert.ok(!listed.includes(name), `${name} still listed`);
  }

  let thrown = '';
  await assert.rejects(withNetns(async (ns) => {
    thrown = ns.name;
    throw new Error('body failed');
  }), /body failed/);
  assert.ok(thrown !== '' && !existsSync(`/run/netns/${thrown}`), `${thrown} survived a failing body`);

  const kept = await createNetns('keep');
  assert.ok(existsSync(`/run/netns/${kept.name}`));
  await kept.delete();
  await kept.delete(); // deleting twice is harmless
  assert.ok(!existsSync(`/run/netns/${kept.name}`));
});

test('sh: a failing command rejects with its stderr', async () => {
  assertInUml();
  const err = await sh('ip', ['link', 'show', 'no-such-link-mcoa']).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof CommandError, 'expected a CommandError');
  assert.notEqual(err.exitCode, 0);
  assert.match(err.stderr, /no-such-link-mcoa/);
});

test('a process still running in a namespace when it is deleted is killed, so it cannot hold the test file open', async () => {
  let child: ReturnType<typeof spawn> | undefined;
  let exited: Promise<NodeJS.Signals | null> | undefined;
  await withNetns(async (ns) => {
    // `ip netns exec` execs sleep: the pid is sleep's, inside the namespace.
    child = spawn('ip', ['netns', 'exec', ns.name, 'sleep', '1000'], { stdio: 'ignore' });
    const c = child;
    exited = new Promise((resolve) => c.once('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; !(await sh('ip', ['netns', 'pids', ns.name])).split('\n').includes(String(c.pid)); i++) {
      assert.ok(i < 600, 'sleep inside the namespace');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  const signal = await Promise.race([exited!, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 60_000).unref())]);
  assert.equal(signal, 'SIGKILL', `the leftover process: ${signal}`);
});
