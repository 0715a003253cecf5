// `npm run demo` on a kernel that has ip6tnl, Mobile IPv6 and ESP (UML's): the launcher
// probes the kernel in a scratch namespace, takes the direct path and the demo shows what
// it shows in UML; a piece the kernel refuses is named and sends the choice elsewhere; the
// scratch namespace is gone afterwards whatever its pieces did. The decisions themselves
// are the host table test's (test/unit/demo/path-choice.test.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_PIECES, pairedLinkKind, probeKernel, type ProbePiece } from '../../demo/kernel-probe.js';
import { choosePath } from '../../demo/path-choice.js';
import { COAS, KERNEL_TEST_TIMEOUT_MS, SCENARIO_TIMEOUT_MS, bounded, until } from './fixtures/index.js';
import { CommandError, assertInUml, sh } from './netns.js';

const ROOT = new URL('../../..', import.meta.url).pathname;
const LAUNCHER = join(ROOT, 'dist', 'demo', 'launch.js');

/** `node dist/demo/launch.js ARGS`: exit status and stdout with stderr after it. */
async function launch(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    return { code: 0, out: await sh(process.execPath, [LAUNCHER, ...args], { timeoutMs: 600_000 }) };
  } catch (err) {
    if (!(err instanceof CommandError) || err.exitCode === null) throw err;
    return { code: err.exitCode, out: `${err.stdout}${err.stderr}` };
  }
}

const namespaces = async (): Promise<string> => sh('ip', ['netns', 'list']);
const probeNamespaces = async (): Promise<string[]> => (await namespaces()).split('\n').filter((l) => l.startsWith(`mcoa-probe-${process.pid}-`));

test('demo launcher: inside UML it probes, runs the demo directly and shows bindings, link down and up', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  assertInUml();
  const { code, out } = await launch();
  const lines = out.split('\n');
  assert.equal(code, 0, out);
  assert.match(lines[0] ?? '', /^demo: running directly in network namespaces on this kernel: inside user-mode Linux; this kernel has ip6tnl.* veth links \(probed in a scratch namespace\)$/, out);
  assert.doesNotMatch(out, /uml-run:/, 'the direct path boots no user-mode Linux of its own');
  // The binding cache with all three care-of addresses, as mcoactl shows it.
  const cache = out.slice(out.indexOf('== Home agent binding cache'), out.indexOf('== Flow:'));
  for (const coa of COAS) assert.ok(cache.includes(coa), `${coa} missing from the binding cache:\n${cache}`);
  assert.match(out, /three care-of addresses registered in one bulk Binding Update/);
  // One interface lost, its binding gone, then back with three bindings.
  const lost = /== Losing (mn\d) \(care-of (\S+),/.exec(out);
  assert.ok(lost, out);
  assert.ok(out.includes(`mobile node$ ip link set ${lost[1]} down`), out);
  assert.ok(out.includes(`the binding of ${lost[2]} left the home agent's cache`), out);
  assert.match(out, new RegExp(`== Bringing ${lost[1]} back`));
  assert.match(out, /three bindings again after \d+ ms/);
  assert.match(out, /UDP echo: \d+\/30 answered/);
  assert.match(out, /namespaces (mcoa-demo-\d+-\d+, ){3}mcoa-demo-\d+-\d+ deleted/);
  assert.match(out, /demo finished: OK$/m);
  assert.doesNotMatch(await namespaces(), /mcoa-demo-|mcoa-probe-/, 'the demo and its probe left namespaces behind');
});

/** Pids of mcoad processes (named so by process.title, lib/daemon/service/signals.ts). */
function mcoadPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'mcoad';
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

test('demo launcher: SIGINT while the demo runs directly leaves no namespace and no mcoad behind', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  assertInUml();
  assert.deepEqual(mcoadPids(), [], 'an mcoad from before this test');
  const child = spawn(process.execPath, [LAUNCHER], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the demo to show the binding cache', () => out.includes('== Home agent binding cache'));
  assert.ok(mcoadPids().length === 2, `two mcoad running: ${mcoadPids().join(' ')}`);
  child.kill('SIGINT');
  assert.equal(await bounded('the launcher to exit', exited), 130, out);
  assert.match(out, /DEMO FAILED: interrupted by SIGINT/);
  assert.doesNotMatch(await namespaces(), /mcoa-demo-/, 'namespaces left behind');
  await until('no mcoad left', () => mcoadPids().length === 0);
});

test('demo launcher: --uml inside UML is refused (no UML within UML)', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  assertInUml();
  const { code, out } = await launch('--uml');
  assert.equal(code, 1, out);
  assert.match(out, /^demo: cannot run: --uml inside user-mode Linux/);
});

test('kernel probe: a link kind no module provides is named, the demo pieces pass, and the choice is UML (or refusal inside UML)', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  assertInUml();
  const probe = await probeKernel([...DEMO_PIECES, pairedLinkKind('mcoanosuch', 'no module provides it')]);
  assert.ok(probe.ran, JSON.stringify(probe));
  assert.deepEqual(probe.tried, [...DEMO_PIECES.map((p) => p.name), 'mcoanosuch links']);
  assert.equal(probe.missing.length, 1, probe.missing.join('\n'));
  assert.match(probe.missing[0]!, /^the kernel would not create a mcoanosuch link \(ip -n mcoa-probe-\d+-\d+ link add .* type mcoanosuch .*\): no module provides it$/);
  const outside = choosePath({ uid: 0, inUml: false, probe });
  assert.equal(outside.path, 'uml');
  assert.match(outside.why, /lacks what the demo needs: the kernel would not create a mcoanosuch link/);
  assert.equal(choosePath({ uid: 0, inUml: true, probe }).path, 'refuse');
  assert.deepEqual(await probeNamespaces(), []);
});

test('kernel probe: a piece that throws is reported and the scratch namespace, which it ran in, is deleted', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  assertInUml();
  let seenDuring = '';
  const throws: ProbePiece = {
    name: 'a piece that throws',
    async attempt(netns) {
      seenDuring = (await namespaces()).includes(netns) ? netns : '';
      await sh('ip', ['-n', netns, 'link', 'add', 'mcoa-pk0', 'type', 'dummy']);
      throw new Error('thrown on purpose');
    },
  };
  const probe = await probeKernel([throws]);
  assert.deepEqual(probe, { ran: true, tried: ['a piece that throws'], missing: ['a piece that throws: cannot check: thrown on purpose'] });
  assert.match(seenDuring, /^mcoa-probe-\d+-\d+$/, 'the piece ran in a named scratch namespace');
  assert.deepEqual(await probeNamespaces(), []);
});
