// End-to-end invariant over random topology and operator events (fast-check): once the
// mobile node core and lib/proto's HomeAgent and CorrespondentNode have exchanged everything,
// the mobile node's list and each peer's binding cache agree (see checkPeer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp6 } from '../../../../lib/inet/ip6.js';
import type { HomeLinkPolicy, MnEvent, OperatorCommand } from '../../../../lib/proto/mn/index.js';
import { CN, HOA, Mn } from './harness.js';
import { Net } from './interop-net.js';

const IFACES = ['eth0', 'eth1', 'eth2'];
const addr = (iface: number, variant: number) => Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0xa0 + iface, ...new Array<number>(9).fill(0), variant + 1]);
const POLICIES: HomeLinkPolicy[] = ['return-home', 'disable-home-interface', 'h-flag'];

type Cmd =
  | { k: 'coa'; i: number; v: number | null }
  | { k: 'home'; i: number; on: boolean }
  | { k: 'op'; n: number; i: number; b: boolean }
  | { k: 'wait'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('coa' as const), i: fc.nat(2), v: fc.option(fc.nat(1), { nil: null }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('home' as const), i: fc.nat(2), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('op' as const), n: fc.nat(5), i: fc.nat(2), b: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 1000, max: 60_000 }) }) },
);

function operator(c: { n: number; i: number; b: boolean }): OperatorCommand {
  const iface = IFACES[c.i]!;
  const all: OperatorCommand[] = [
    { op: 'deregister', iface },
    { op: 'register', iface },
    c.b ? { op: 'deregisterAll' } : { op: 'resume' },
    { op: 'setBulk', enabled: c.b },
    { op: 'setHomeLinkPolicy', policy: POLICIES[c.i]! },
    { op: 'resume' },
  ];
  return all[c.n % all.length]!;
}

function event(c: Cmd): MnEvent | null {
  if (c.k === 'coa') return { kind: 'careOfAddress', iface: IFACES[c.i]!, address: c.v === null ? null : addr(c.i, c.v) };
  if (c.k === 'home') return { kind: 'homeLink', iface: IFACES[c.i]!, attached: c.on };
  if (c.k === 'op') return { kind: 'operator', command: operator(c) };
  return null;
}

/**
 * What the mobile node lists as registered is at the peer with that care-of address, and
 * whatever the peer holds is still in the list, or covered by a pending regular BU (a
 * de-registration that cannot be sent yet, for want of any interface, leaves the peer's
 * binding in place until it expires or the message goes).
 */
function checkPeer(mn: Mn, role: 'ha' | 'cn', held: [number, string][], what: string): void {
  const list = mn.core.bindingUpdateList().filter((e) => e.role === role);
  const peer = new Set(held.map(([bid, coa]) => `${bid} ${coa}`));
  for (const e of list) {
    if (e.state !== 'registered') continue;
    const key = `${e.bid ?? 0} ${e.homeBinding ? formatIp6(HOA) : e.careOf}`;
    assert.ok(peer.has(key), `${what}: ${key} listed as registered, peer holds ${[...peer].join(', ')}`);
  }
  // A regular Binding Update still to be acknowledged (a de-register-all that no interface
  // could send yet, or a regular registration) replaces every binding at the peer (§6.3).
  if (list.some((e) => e.bid === null && e.state !== 'registered')) return;
  const known = new Set(list.map((e) => e.bid ?? 0));
  for (const [bid, coa] of held) assert.ok(known.has(bid), `${what}: holds ${bid} ${coa}, which the mobile node forgot`);
}

/** One random run: topology and operator events, then the check after each exchange. */
function exchange(bulk: boolean, esp: boolean, homeLinkPolicy: HomeLinkPolicy, cmds: Cmd[]): void {
  const mn = new Mn({ correspondents: [CN], bulk, esp, homeLinkPolicy });
  const net = new Net(mn);
  net.settle(mn.start([['eth0', addr(0, 0)], ['eth1', addr(1, 0)]]));
  for (const c of cmds) {
    const ev = event(c);
    if (ev) net.settle(mn.send(ev));
    else if (c.k === 'wait') {
      mn.now += c.ms;
      net.settle(mn.send({ kind: 'tick' }));
    }
    assert.equal(net.dropped, 0, 'a peer silently dropped a message');
    checkPeer(mn, 'ha', net.haBindings().map(([bid, coa]) => [bid, coa]), 'home agent');
    checkPeer(mn, 'cn', net.cnBindings(), 'correspondent');
  }
}

test('interop property: after every exchange the peers hold exactly what the mobile node lists as registered', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.boolean(), fc.constantFrom(...POLICIES), fc.array(cmd, { maxLength: 25 }), exchange),
    { numRuns: 150, includeErrorInReport: true },
  );
});

test('interop property, a case fast-check found: both interfaces gone, then de-register all (the peer keeps BID 1 until a regular BU can leave)', () => {
  exchange(false, false, 'return-home', [{ k: 'coa', i: 1, v: null }, { k: 'coa', i: 0, v: null }, { k: 'op', n: 2, i: 0, b: true }]);
});
