// What `mcoactl purge` deletes, decided from kernel dumps alone: every object carrying
// mcoad's ownership marks and nothing else, in the order the kernel needs (users before
// what they use). An object of ours that something not ours still uses is kept and named,
// because deleting it would make the kernel take the other object with it (a route over
// a nexthop goes with the nexthop, everything on a link goes with the link).
import type { LinkInfo } from '../../platform/rtnl/link.js';
import type { Nexthop } from '../../platform/rtnl/nexthop.js';
import type { ProxyNeigh6 } from '../../platform/rtnl/neigh.js';
import type { Route6 } from '../../platform/rtnl/route.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { OwnershipMarks } from '../../reconcile/marks.js';
import type { XfrmBands } from '../../reconcile/drivers/xfrm.js';

/** rtnetlink.h RTPROT_KERNEL: the link-local and multicast routes every IPv6 link gets. */
const RTPROT_KERNEL = 2;

export interface KernelDump {
  links: Pick<LinkInfo, 'ifindex' | 'name' | 'kind'>[];
  /** IPv6 routes of every table. */
  routes: Route6[];
  nexthops: Nexthop[];
  proxies: ProxyNeigh6[];
  policies: XfrmPolicy[];
  states: XfrmState[];
}

export type PurgeStep =
  | { kind: 'route'; route: Route6 }
  | { kind: 'group'; nexthop: Nexthop }
  | { kind: 'nexthop'; nexthop: Nexthop }
  | { kind: 'tunnel'; link: Pick<LinkInfo, 'ifindex' | 'name'> }
  | { kind: 'proxy'; proxy: ProxyNeigh6 }
  | { kind: 'xfrm-policy'; policy: XfrmPolicy }
  | { kind: 'xfrm-state'; state: XfrmState };

export type PurgeKind = PurgeStep['kind'];

/** The kernel's order: routes, groups, nexthops, tunnels, proxy entries, policies, states. */
export const PURGE_ORDER: readonly PurgeKind[] = ['route', 'group', 'nexthop', 'tunnel', 'proxy', 'xfrm-policy', 'xfrm-state'];

export interface PurgeKept {
  step: PurgeStep;
  /** What still uses it, as `ip` would name it. */
  usedBy: string;
}

export interface PurgePlan {
  steps: PurgeStep[];
  kept: PurgeKept[];
}

const inBand = (v: number, base: number, count: number): boolean => v >= base && v < base + count;

/** Every object of `dump` carrying the marks, ordered for deletion, minus those still in use by others. */
export function planPurge(dump: KernelDump, marks: OwnershipMarks, bands: XfrmBands): PurgePlan {
  const ourRoute = (r: Route6) => r.protocol === marks.protocol && r.table === marks.table;
  // Both bands: the per-binding one and the shared data plane's (encap nexthops, resilient groups).
  const ourNexthop = (n: Nexthop) =>
    n.protocol === marks.protocol && (inBand(n.id, marks.nexthopIdBase, marks.nexthopIdCount) || inBand(n.id, marks.sharedNexthopIdBase, marks.sharedNexthopIdCount));
  const foreignRoutes = dump.routes.filter((r) => !ourRoute(r) && r.protocol !== RTPROT_KERNEL);
  const foreignNexthops = dump.nexthops.filter((n) => !ourNexthop(n));
  const kept: PurgeKept[] = [];

  const groups: PurgeStep[] = [];
  const keptIds = new Set<number>();
  for (const n of dump.nexthops.filter((x) => ourNexthop(x) && x.group)) {
    const user = foreignRoutes.find((r) => r.nhid === n.id);
    if (user) {
      kept.push({ step: { kind: 'group', nexthop: n }, usedBy: routeText(user) });
      keptIds.add(n.id);
    } else groups.push({ kind: 'group', nexthop: n });
  }

  const nexthops: PurgeStep[] = [];
  const groupsOf = (id: number) => (g: Nexthop) => (g.group ?? []).some((m) => m.id === id);
  for (const n of dump.nexthops.filter((x) => ourNexthop(x) && !x.group)) {
    const route = foreignRoutes.find((r) => r.nhid === n.id);
    const group = foreignNexthops.find(groupsOf(n.id)) ?? dump.nexthops.find((g) => keptIds.has(g.id) && groupsOf(n.id)(g));
    if (route || group) {
      kept.push({ step: { kind: 'nexthop', nexthop: n }, usedBy: route ? routeText(route) : `nexthop id ${group!.id}` });
      keptIds.add(n.id);
    } else nexthops.push({ kind: 'nexthop', nexthop: n });
  }

  const tunnels: PurgeStep[] = [];
  const ourTunnels = dump.links.filter((l) => l.kind === 'ip6tnl' && l.name.startsWith(marks.tunnelPrefix));
  for (const l of ourTunnels) {
    const route = foreignRoutes.find((r) => r.oif === l.ifindex);
    const nexthop = dump.nexthops.find((n) => n.oif === l.ifindex && (!ourNexthop(n) || keptIds.has(n.id)));
    const proxy = dump.proxies.find((p) => p.ifindex === l.ifindex && p.protocol !== marks.protocol);
    const step: PurgeStep = { kind: 'tunnel', link: { ifindex: l.ifindex, name: l.name } };
    const usedBy = route ? routeText(route) : nexthop ? `nexthop id ${nexthop.id}` : proxy ? `proxy ${proxy.dst}` : undefined;
    if (usedBy !== undefined) kept.push({ step, usedBy });
    else tunnels.push(step);
  }

  return {
    steps: [
      ...dump.routes.filter(ourRoute).map((route): PurgeStep => ({ kind: 'route', route })),
      ...groups,
      ...nexthops,
      ...tunnels,
      ...dump.proxies.filter((p) => p.protocol === marks.protocol).map((proxy): PurgeStep => ({ kind: 'proxy', proxy })),
      ...dump.policies.filter((p) => inBand(p.priority, bands.priorityBase, bands.priorityCount)).map((policy): PurgeStep => ({ kind: 'xfrm-policy', policy })),
      ...dump.states.filter((s) => inBand(s.reqid, bands.reqidBase, bands.reqidCount)).map((state): PurgeStep => ({ kind: 'xfrm-state', state })),
    ],
    kept,
  };
}

function routeText(r: Route6): string {
  return `route ${r.dst}/${r.dstLen} table ${r.table} proto ${r.protocol}`;
}

/** IPPROTO_* / XFRM protocol names as `ip xfrm` prints them. */
const XFRM_PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [50, 'esp'],
  [51, 'ah'],
  [43, 'route2'],
  [60, 'hao'],
  [108, 'comp'],
]);

/** The object as `ip` names it; `nameOf` gives interface names by ifindex. */
export function describeStep(s: PurgeStep, nameOf: (ifindex: number) => string): string {
  switch (s.kind) {
    case 'route': {
      const via = s.route.nhid !== undefined ? ` nhid ${s.route.nhid}` : s.route.oif !== undefined ? ` dev ${nameOf(s.route.oif)}` : '';
      return `${s.route.dst}/${s.route.dstLen}${via} table ${s.route.table}${s.route.metric ? ` metric ${s.route.metric}` : ''}`;
    }
    case 'group':
      return `id ${s.nexthop.id} group ${(s.nexthop.group ?? []).map((m) => `${m.id},${m.weight}`).join('/')}`;
    case 'nexthop':
      return `id ${s.nexthop.id}${s.nexthop.gateway ? ` via ${s.nexthop.gateway}` : ''}${s.nexthop.oif !== undefined ? ` dev ${nameOf(s.nexthop.oif)}` : ''}`;
    case 'tunnel':
      return s.link.name;
    case 'proxy':
      return `${s.proxy.dst} dev ${nameOf(s.proxy.ifindex)}`;
    case 'xfrm-policy': {
      const sel = s.policy.selector;
      return `src ${sel.src}/${sel.srcLen} dst ${sel.dst}/${sel.dstLen} proto ${sel.proto} dir ${s.policy.dir} priority ${s.policy.priority}`;
    }
    case 'xfrm-state': {
      const proto = XFRM_PROTO_NAMES.get(s.state.proto) ?? String(s.state.proto);
      return `src ${s.state.src} dst ${s.state.dst} proto ${proto} spi 0x${s.state.spi.toString(16).padStart(8, '0')} reqid ${s.state.reqid}`;
    }
  }
}
