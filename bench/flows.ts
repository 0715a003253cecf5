// bench:flows — the cost of RFC 6089 flow classification on the home agent's fast path,
// inside user-mode Linux (npm run bench:flows [H]): packets per second forwarded to one home
// address (correspondent -> home agent -> shared device -> care-of link), first with H home
// addresses of two bindings each and no flows, then with two flow bindings per home address
// (2H flows, 1,000 by default) added by the same reconciler, same boot, same generator
// (bench/udp-blast.c, UDP to port 9). Home address 0's stream matches its first flow, so each
// packet takes the dispatch filter's hash lookup, its chain's first filter and tunnel_key.
// The two states alternate (flows removed and installed again each round), ROUNDS streams of
// each, so the machine's other jobs weigh on both alike; the medians are compared. A stream
// after each change is discarded: the kernel's deferred work after it competes for the CPU.
// Prints RESULT flow_fwd_pps_0, flow_fwd_pps_N and flow_fwd_ratio (target >= 0.8).
import { DesiredIndex } from '../lib/plan/ha/desired-index.js';
import { HomeAgentKernel } from '../lib/daemon/ha/kernel.js';
import { flowPrio, selectorMatches, type FlowSteer } from '../lib/plan/ha/flow-steering.js';
import { NetlinkSocket } from '../lib/platform/netlink/socket.js';
import type { Ip6TrafficSelector } from '../lib/wire/flow/flow-types.js';
import { addVethPair, createNetns, type Netns } from '../test/kernel/netns.js';
import { SCALE_HA, homeNetns, scaleCoa, scaleDesired, scaleHoa } from './scale-install.js';
import { buildBlaster, rate, type Stream } from './scale-fwd.js';

const ROUNDS = 7;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const homeAddresses = Number(process.argv[2] ?? 500);
const FLOWS: { fid: number; priority: number; selector: Ip6TrafficSelector; care: 0 | 1 }[] = [
  { fid: 1, priority: 10, selector: { format: 'ipv6', nextHeaderStart: 17, destinationPortStart: 9 }, care: 1 },
  { fid: 2, priority: 20, selector: { format: 'ipv6', nextHeaderStart: 6, destinationPortStart: 443 }, care: 0 },
];

function flowsOf(h: number): FlowSteer[] {
  return FLOWS.map((f) => {
    const m = selectorMatches(f.selector, scaleHoa(h));
    if (!m.ok) throw new Error(m.reason);
    return { fid: f.fid, prio: flowPrio(f.priority), matches: m.matches, target: { kind: 'tunnel', src: SCALE_HA, dst: scaleCoa(h, f.care) } };
  });
}

async function egressFilters(ha: Netns): Promise<number> {
  const out = await ha.exec('tc', 'filter', 'show', 'dev', 'mip6t-0', 'egress');
  return out.split('\n').filter((l) => / handle /.test(l)).length;
}

async function main(): Promise<void> {
  buildBlaster();
  const ha = await homeNetns();
  const mn = await createNetns('fmn');
  const cn = await createNetns('fcn');
  const sock = NetlinkSocket.open({ protocol: 0, netns: ha.name });
  try {
    await addVethPair(ha, 'ha0', mn, 'mn0');
    await addVethPair(ha, 'ha1', cn, 'cn0');
    for (const [ns, dev, addr] of [[ha, 'ha0', '2001:db8:f0::1'], [mn, 'mn0', '2001:db8:f0::2'], [ha, 'ha1', '2001:db8:c0::1'], [cn, 'cn0', '2001:db8:c0::2']] as const) {
      await ns.ip('-6', 'addr', 'add', `${addr}/64`, 'dev', dev, 'nodad');
      await ns.ip('link', 'set', dev, 'up');
    }
    await ha.exec('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
    await ha.ip('-6', 'route', 'add', '2001:db8:100::/47', 'via', '2001:db8:f0::2', 'dev', 'ha0');
    await cn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', '2001:db8:c0::1', 'dev', 'cn0');
    const forward: Stream = { from: cn, to: scaleHoa(0), at: mn, dev: 'mn0' };
    const k = new HomeAgentKernel(sock, {}, undefined, undefined, 'shared');
    const index = new DesiredIndex(k.reconciler, k.planner);
    const apply = async (withFlows: boolean) => {
      for (let h = 0; h < homeAddresses; h++) {
        const d = scaleDesired(h);
        if (withFlows) d.flows = flowsOf(h);
        index.update(scaleHoa(h), d);
      }
      const rep = await k.pass();
      if (rep.failed) throw new Error(`reconcile failed: ${String(rep.errors[0]?.error)}`);
    };
    await apply(false);
    await rate(forward); // resolves the care-of link's neighbour
    const none: number[] = [];
    const withFlows: number[] = [];
    const installs: number[] = [];
    const flows = homeAddresses * FLOWS.length;
    for (let i = 0; i < ROUNDS; i++) {
      none.push((await rate(forward)).rx);
      const t0 = process.hrtime.bigint();
      await apply(true);
      installs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (i === 0) {
        const filters = await egressFilters(ha);
        if (filters !== flows + homeAddresses) throw new Error(`expected ${flows + homeAddresses} egress filters, found ${filters}`);
      }
      await rate(forward); // discarded: the kernel's deferred work after 1,500 filter writes (hash table resizes, RCU frees)
      withFlows.push((await rate(forward)).rx);
      await apply(false);
      await rate(forward); // discarded, likewise after the removal
      console.error(`flows: round ${i + 1}: ${none[i]!.toFixed(0)} packets/s without flows, ${withFlows[i]!.toFixed(0)} with ${flows} (installed in ${installs[i]!.toFixed(0)} ms)`);
    }
    if ((await egressFilters(ha)) !== 0) throw new Error('flows removed, egress filters left');
    const [a0, a1, ms] = [median(none), median(withFlows), median(installs)];
    console.error(`flows: ${homeAddresses} home addresses; medians: ${a0.toFixed(0)} packets/s without flows, ${a1.toFixed(0)} with ${flows} flow bindings`);
    console.log(`RESULT flow_fwd_pps_0=${a0.toFixed(0)} flow_fwd_pps_${flows}=${a1.toFixed(0)} flow_fwd_ratio=${(a1 / a0).toFixed(3)} flow_install_ms=${ms.toFixed(0)}`);
  } finally {
    sock.close();
    for (const ns of [ha, mn, cn]) await ns.delete();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
