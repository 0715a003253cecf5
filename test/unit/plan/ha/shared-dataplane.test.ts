// The shared data plane's planner (lib/plan/ha/shared-dataplane.ts): one row per case, the
// objects a home address's bindings need, and what the incremental index writes when they change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindingFlags, NO_PREFIXES, type Binding } from '../../../../lib/proto/common/binding.js';
import { BindingCache } from '../../../../lib/proto/common/cache.js';
import { desiredForHomeAddress } from '../../../../lib/plan/ha/desired.js';
import { DesiredIndex } from '../../../../lib/plan/ha/desired-index.js';
import { SHARED_GROUP_BUCKETS, sharedBaseWants, sharedPlanner, sharedWantsFor, type SharedWants } from '../../../../lib/plan/ha/shared-dataplane.js';
import { RecordingSink } from '../recording-sink.js';
import { ip6 } from '../../../ip6.js';
import type { Ip6 } from '../../../../lib/inet/ip6.js';

const HA = ip6('2001:db8:1::1');
const IF = 'eth0';
const DEV = 'mip6t-ext';
const CFG = { homeAgentAddress: HA, homeLinkInterface: IF };
const SCFG = { device: DEV };
const H1 = ip6('2001:db8:1::a');
const H2 = ip6('2001:db8:1::b');
const C1 = ip6('2001:db8:a::1');
const C2 = ip6('2001:db8:b::2');

function binding(hoa: Ip6, bid: number, coa: Ip6, extra: Partial<Binding> = {}): Binding {
  return { hoa, bid, coa, registeredAtMs: 0, expiresAtMs: 1, lifetimeSeconds: 1, lastSequence: 1, flags: bindingFlags(true, false, false, false), mobileNetworkPrefixes: NO_PREFIXES, homeBinding: false, ...extra };
}

function plan(hoa: Ip6, bindings: Binding[], dadPending = false): SharedWants {
  const cache = new BindingCache();
  for (const b of bindings) cache.put(b);
  if (dadPending) cache.setDadPending(hoa, true);
  return sharedWantsFor(hoa, desiredForHomeAddress(cache, hoa, CFG), SCFG);
}

const keys = (m: ReadonlyMap<string, unknown>) => [...m.keys()].sort();

test('shared plan: the device, its clsact and the drop filter are one object each, whatever the bindings', () => {
  const b = sharedBaseWants(SCFG);
  assert.deepEqual(b['shared-device'].get(DEV), { name: DEV });
  assert.deepEqual(b.clsact.get(DEV), { device: DEV });
  assert.deepEqual(b['drop-filter'].get(DEV), { device: DEV });
});

const rows: { name: string; bindings: Binding[]; check: (w: SharedWants) => void }[] = [
  {
    name: '§6.3 one binding: an encap nexthop (dst CoA, src HA), a resilient group of one, route HOA/128 via the group, one pair filter, proxy ND',
    bindings: [binding(H1, 1, C1)],
    check: (w) => {
      assert.deepEqual(w['encap-nexthop'].get(`${HA}|${C1}`), { device: DEV, dst: C1, src: HA });
      assert.deepEqual(w['res-group'].get(H1), { members: [{ kind: 'encap', key: `${HA}|${C1}`, weight: 1 }], buckets: SHARED_GROUP_BUCKETS });
      assert.deepEqual(w.route.get(`${H1}/128`), { dst: H1, dstLen: 128, via: { kind: 'res-group', key: H1 } });
      assert.deepEqual(keys(w['pair-filter']), [`${C1}|${H1}`]);
      assert.deepEqual(w['pair-filter'].get(`${C1}|${H1}`), { device: DEV, coa: C1, hoa: H1 });
      assert.deepEqual(keys(w.proxy), [`${IF}|${H1}`]);
      assert.equal(w.nexthop.size, 0);
    },
  },
  {
    name: '§5.4 two care-of addresses: two encap nexthops in the one group (same key as with one), two pair filters',
    bindings: [binding(H1, 1, C1), binding(H1, 2, C2)],
    check: (w) => {
      assert.deepEqual(keys(w['encap-nexthop']), [`${HA}|${C1}`, `${HA}|${C2}`]);
      assert.deepEqual(keys(w['res-group']), [H1]);
      assert.deepEqual(
        w['res-group'].get(H1)!.members.map((m) => m.key),
        [`${HA}|${C1}`, `${HA}|${C2}`],
      );
      assert.deepEqual(keys(w['pair-filter']), [`${C1}|${H1}`, `${C2}|${H1}`]);
    },
  },
  {
    name: '§5.5 a home binding beside a foreign one: the group holds the home-link nexthop too; no proxy ND; only the tunnelled pair is filtered',
    bindings: [binding(H1, 1, C1), binding(H1, 2, H1, { homeBinding: true })],
    check: (w) => {
      assert.deepEqual(keys(w.nexthop), [`h|${IF}|`]);
      assert.deepEqual(
        w['res-group'].get(H1)!.members.map((m) => `${m.kind}:${m.key}`),
        [`encap:${HA}|${C1}`, `nexthop:h|${IF}|`],
      );
      assert.equal(w.proxy.size, 0);
      assert.deepEqual(keys(w['pair-filter']), [`${C1}|${H1}`]);
    },
  },
  {
    name: 'RFC 3963 a mobile network prefix: its route uses the home address group (same next hops)',
    bindings: [binding(H1, 1, C1, { mobileNetworkPrefixes: ['2001:db8:99::/64'] })],
    check: (w) => {
      assert.deepEqual(keys(w['res-group']), [H1]);
      assert.deepEqual(w.route.get('2001:db8:99::/64'), { dst: '2001:db8:99::', dstLen: 64, via: { kind: 'res-group', key: H1 } });
    },
  },
  {
    name: 'RFC 3963 §6.2 reverse tunnel from a mobile network prefix: a prefix pair filter per care-of address besides the home address pairs',
    bindings: [binding(H1, 1, C1, { mobileNetworkPrefixes: ['2001:db8:99::/64'] }), binding(H1, 2, C2, { mobileNetworkPrefixes: ['2001:db8:99::/64'] })],
    check: (w) => {
      assert.deepEqual(keys(w['pair-filter']), [`${C1}|${H1}`, `${C1}|2001:db8:99::/64`, `${C2}|${H1}`, `${C2}|2001:db8:99::/64`].sort());
      assert.deepEqual(w['pair-filter'].get(`${C2}|2001:db8:99::/64`), { device: DEV, coa: C2, hoa: '2001:db8:99::', srcLen: 64 });
      assert.deepEqual(w['pair-filter'].get(`${C2}|${H1}`), { device: DEV, coa: C2, hoa: H1 }, 'a home address pair has no length (all 128 bits)');
    },
  },
];

for (const row of rows) {
  test(`shared plan: ${row.name}`, () => row.check(plan(H1, row.bindings)));
}

test('shared plan: RFC 6275 §10.3.1 DAD still running gives no objects at all', () => {
  const w = plan(H1, [binding(H1, 1, C1)], true);
  for (const m of Object.values(w)) assert.equal(m.size, 0);
});

test('shared index: a second care-of address changes the group in place, adds a nexthop and a pair; the route stays the same object', () => {
  const cache = new BindingCache();
  const sink = new RecordingSink();
  const index = new DesiredIndex(sink, sharedPlanner(SCFG));
  cache.put(binding(H1, 1, C1));
  index.update(H1, desiredForHomeAddress(cache, H1, CFG));
  const routeBefore = sink.get('route', `${H1}/128`);
  sink.take();
  cache.put(binding(H1, 2, C2));
  index.update(H1, desiredForHomeAddress(cache, H1, CFG));
  const puts = sink.take();
  assert.ok(!puts.some((p) => p.startsWith('clear')), 'nothing removed');
  assert.equal((sink.get('res-group', H1) as { members: unknown[] }).members.length, 2);
  assert.deepEqual(sink.keys('encap-nexthop'), [`${HA}|${C1}`, `${HA}|${C2}`]);
  assert.deepEqual(sink.keys('pair-filter'), [`${C1}|${H1}`, `${C2}|${H1}`]);
  assert.deepEqual(sink.get('route', `${H1}/128`), routeBefore);
});

test('shared index: a care-of address shared by two home addresses is one nexthop, kept until the last one goes; pairs are per home address', () => {
  const cache = new BindingCache();
  const sink = new RecordingSink();
  const index = new DesiredIndex(sink, sharedPlanner(SCFG));
  cache.put(binding(H1, 1, C1));
  cache.put(binding(H2, 1, C1));
  index.update(H1, desiredForHomeAddress(cache, H1, CFG));
  index.update(H2, desiredForHomeAddress(cache, H2, CFG));
  assert.deepEqual(sink.keys('encap-nexthop'), [`${HA}|${C1}`]);
  cache.removeAll(H1);
  index.update(H1, desiredForHomeAddress(cache, H1, CFG));
  assert.deepEqual(sink.keys('encap-nexthop'), [`${HA}|${C1}`], 'H2 still wants it');
  assert.deepEqual(sink.keys('pair-filter'), [`${C1}|${H2}`]);
  assert.deepEqual(sink.keys('res-group'), [H2]);
  assert.deepEqual(sink.keys('route'), [`${H2}/128`]);
  cache.removeAll(H2);
  index.update(H2, desiredForHomeAddress(cache, H2, CFG));
  for (const kind of ['encap-nexthop', 'pair-filter', 'res-group', 'route', 'proxy']) assert.deepEqual(sink.keys(kind), [], kind);
});
