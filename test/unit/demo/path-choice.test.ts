// `npm run demo` chooses its path: one row per rule of demo/path-choice.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choiceLine, choosePath, wantsProbe, type PathInputs, type ProbeOutcome } from '../../../demo/path-choice.js';

const HAS_ALL: ProbeOutcome = { ran: true, tried: ['ip6tnl', 'veth links'], missing: [] };
const LACKS: ProbeOutcome = { ran: true, tried: ['ip6tnl', 'veth links'], missing: ['the kernel has no ip6ip6 tunnels (link kind ip6tnl): modprobe ip6_tunnel'] };
const NO_PROBE: ProbeOutcome = { ran: false, why: 'cannot create a scratch network namespace: EPERM' };

const rows: { name: string; in: PathInputs; path: 'direct' | 'uml' | 'refuse'; why: RegExp }[] = [
  { name: 'root, kernel has everything -> direct, naming what was probed', in: { uid: 0, inUml: false, probe: HAS_ALL }, path: 'direct', why: /^this kernel has ip6tnl, veth links \(probed in a scratch namespace\)$/ },
  { name: 'root, kernel lacks a piece -> UML, naming the piece and its fix', in: { uid: 0, inUml: false, probe: LACKS }, path: 'uml', why: /lacks .*link kind ip6tnl\): modprobe ip6_tunnel; user-mode Linux has it$/ },
  { name: 'root, probe could not run -> UML, saying why', in: { uid: 0, inUml: false, probe: NO_PROBE }, path: 'uml', why: /could not be probed \(cannot create a scratch network namespace: EPERM\)/ },
  { name: 'root, not probed at all -> UML', in: { uid: 0, inUml: false }, path: 'uml', why: /not probed/ },
  { name: 'not root -> UML without probing', in: { uid: 1000, inUml: false }, path: 'uml', why: /^not root/ },
  { name: 'not root, even with a probe result -> UML', in: { uid: 1000, inUml: false, probe: HAS_ALL }, path: 'uml', why: /^not root/ },
  { name: '--uml -> UML, even where direct would run', in: { uid: 0, inUml: false, forced: 'uml', probe: HAS_ALL }, path: 'uml', why: /^forced with --uml$/ },
  { name: '--uml, not root -> UML', in: { uid: 1000, inUml: false, forced: 'uml' }, path: 'uml', why: /^forced with --uml$/ },
  { name: '--uml inside UML -> refused (no UML within UML)', in: { uid: 0, inUml: true, forced: 'uml' }, path: 'refuse', why: /cannot boot user-mode Linux within itself/ },
  { name: '--direct, kernel has everything -> direct', in: { uid: 0, inUml: false, forced: 'direct', probe: HAS_ALL }, path: 'direct', why: /^forced with --direct; this kernel has/ },
  { name: '--direct, kernel lacks a piece -> refused, naming it', in: { uid: 0, inUml: false, forced: 'direct', probe: LACKS }, path: 'refuse', why: /^--direct, but this kernel lacks .*modprobe ip6_tunnel$/ },
  { name: '--direct, probe could not run -> refused, saying why', in: { uid: 0, inUml: false, forced: 'direct', probe: NO_PROBE }, path: 'refuse', why: /^--direct, but the kernel could not be probed \(.*EPERM\)$/ },
  { name: '--direct, not root -> refused', in: { uid: 1000, inUml: false, forced: 'direct' }, path: 'refuse', why: /^--direct needs root/ },
  { name: 'inside UML, kernel has everything -> direct', in: { uid: 0, inUml: true, probe: HAS_ALL }, path: 'direct', why: /^inside user-mode Linux; this kernel has ip6tnl/ },
  { name: 'inside UML, kernel lacks a piece -> refused (nothing to fall back to)', in: { uid: 0, inUml: true, probe: LACKS }, path: 'refuse', why: /^inside user-mode Linux, but this kernel lacks/ },
  { name: 'inside UML, not root -> refused', in: { uid: 1000, inUml: true }, path: 'refuse', why: /^inside user-mode Linux the demo runs only directly, which needs root/ },
];

for (const row of rows) {
  test(`demo path: ${row.name}`, () => {
    const c = choosePath(row.in);
    assert.equal(c.path, row.path, c.why);
    assert.match(c.why, row.why);
  });
}

test('demo path: the probe runs as root unless --uml', () => {
  assert.equal(wantsProbe(0, undefined), true);
  assert.equal(wantsProbe(0, 'direct'), true);
  assert.equal(wantsProbe(0, 'uml'), false);
  assert.equal(wantsProbe(1000, undefined), false);
  assert.equal(wantsProbe(1000, 'direct'), false);
});

test('demo path: the launcher line says which path and why', () => {
  assert.equal(choiceLine({ path: 'direct', why: 'W' }), 'demo: running directly in network namespaces on this kernel: W');
  assert.equal(choiceLine({ path: 'uml', why: 'W' }), 'demo: running in user-mode Linux: W');
  assert.equal(choiceLine({ path: 'refuse', why: 'W' }), 'demo: cannot run: W');
});
