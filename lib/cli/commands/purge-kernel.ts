// The kernel side of `mcoactl purge`: dump what the planner needs through the project's
// own netlink code, and delete what it chose, one object at a time so that each result
// can be reported. Already gone (ENOENT, ESRCH, ENODEV on delete) counts as deleted.
import { classifyError, KernelError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { linkDelete, linkDump } from '../../platform/rtnl/link.js';
import { proxyDelete, proxyDump } from '../../platform/rtnl/neigh.js';
import { nexthopDelete, nexthopDump } from '../../platform/rtnl/nexthop.js';
import { routeDelete, routeDump } from '../../platform/rtnl/route.js';
import { policyDelete, policyDump } from '../../platform/xfrm/policy.js';
import { stateDelete, stateDump } from '../../platform/xfrm/state.js';
import type { KernelDump, PurgeStep } from '../../plan/common/purge.js';

/** `ip -d link show`, `ip -6 route show table all`, `ip nexthop show`, `ip -6 neigh show proxy`, `ip xfrm policy`, `ip xfrm state` */
export async function dumpKernel(rtnl: NetlinkSocket, xfrm: NetlinkSocket): Promise<KernelDump> {
  const links = (await linkDump(rtnl)).map((l) => ({ ifindex: l.ifindex, name: l.name, ...(l.kind !== undefined ? { kind: l.kind } : {}) }));
  return {
    links,
    routes: await routeDump(rtnl),
    nexthops: await nexthopDump(rtnl),
    proxies: await proxyDump(rtnl),
    policies: await policyDump(xfrm),
    states: await stateDump(xfrm),
  };
}

export type StepResult = { step: PurgeStep; result: 'deleted' | 'gone' } | { step: PurgeStep; result: 'failed'; error: string };

/** Deletes each step in order; a failure is reported and the rest still run. */
export async function applyPurge(rtnl: NetlinkSocket, xfrm: NetlinkSocket, steps: readonly PurgeStep[]): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const step of steps) {
    try {
      await deleteOne(rtnl, xfrm, step);
      out.push({ step, result: 'deleted' });
    } catch (err) {
      if (classifyError(err, 'delete') === 'gone') out.push({ step, result: 'gone' });
      else out.push({ step, result: 'failed', error: err instanceof KernelError ? err.message : String(err) });
    }
  }
  return out;
}

function deleteOne(rtnl: NetlinkSocket, xfrm: NetlinkSocket, s: PurgeStep): Promise<void> {
  switch (s.kind) {
    // `ip -6 route del DST/LEN table T proto P metric M`
    case 'route':
      return routeDelete(rtnl, { dst: s.route.dst, dstLen: s.route.dstLen, table: s.route.table, protocol: s.route.protocol, metric: s.route.metric });
    // `ip nexthop del id N`
    case 'group':
    case 'nexthop':
      return nexthopDelete(rtnl, s.nexthop.id);
    // `ip link del NAME`
    case 'tunnel':
      return linkDelete(rtnl, { ifindex: s.link.ifindex });
    // `ip -6 neigh del proxy ADDR dev IF`
    case 'proxy':
      return proxyDelete(rtnl, { dst: s.proxy.dst, ifindex: s.proxy.ifindex });
    // `ip xfrm policy delete src S dst D proto P dir DIR [ptype sub]` (a selector, direction and type name one policy)
    case 'xfrm-policy': {
      const p = s.policy;
      return policyDelete(xfrm, { selector: p.selector, dir: p.dir, ...(p.type ? { type: p.type } : {}), ...(p.mark ? { mark: p.mark } : {}) });
    }
    // `ip xfrm state delete src S dst D proto P spi N`
    case 'xfrm-state': {
      const st = s.state;
      return stateDelete(xfrm, { src: st.src, dst: st.dst, spi: st.spi, proto: st.proto, ...(st.mark ? { mark: st.mark } : {}) });
    }
  }
}
