// bench:scale, fwd phase: packets per second forwarded by the home agent to one home address
// (correspondent -> home agent -> encap nexthop -> care-of address) with 10 bindings
// installed, then with N, same boot, same generator (bench/udp-blast.c, built with cc here):
// a steady UDP stream to home address 0, counted as received on the care-of link's far end;
// and the reverse: home address 0's node sends to the correspondent through its ip6ip6 tunnel,
// past the pair filters on the shared device's ingress, counted at the correspondent.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DesiredIndex } from '../lib/plan/ha/desired-index.js';
import { HomeAgentKernel } from '../lib/daemon/ha/kernel.js';
import { NetlinkSocket } from '../lib/platform/netlink/socket.js';
import { addVethPair, createNetns, sh, type Netns } from '../test/kernel/netns.js';
import { homeNetns, scaleCoa, scaleDesired, scaleHoa } from './scale-install.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BLAST = '/tmp/udp-blast';
const SECONDS = 5;
const STEP = 10_000;
const RUNS = 5;

export function buildBlaster(): void {
  const cc = spawnSync('cc', ['-O2', '-o', BLAST, join(ROOT, 'bench', 'udp-blast.c')], { encoding: 'utf8' });
  if (cc.error !== undefined || cc.status !== 0) throw new Error(`cc udp-blast.c: ${cc.error?.message ?? cc.stderr}`);
}

async function rxPackets(ns: Netns, dev: string): Promise<number> {
  const rows = JSON.parse(await ns.ip('-s', '-j', 'link', 'show', dev)) as { stats64: { rx: { packets: number } } }[];
  return rows[0]!.stats64.rx.packets;
}

/** One direction: `from` blasts `to`, counted as received on `at`'s `dev`. */
export interface Stream {
  from: Netns;
  to: string;
  at: Netns;
  dev: string;
}

/** Packets per second received at the far end while the sender blasts. */
export async function rate(st: Stream): Promise<{ rx: number; sent: number }> {
  const before = await rxPackets(st.at, st.dev);
  const t0 = process.hrtime.bigint();
  const out = await sh('ip', ['netns', 'exec', st.from.name, BLAST, st.to, String(SECONDS)], { timeoutMs: 120_000 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const rx = (await rxPackets(st.at, st.dev)) - before;
  return { rx: rx / s, sent: Number(out.trim()) / s };
}

/** The median of RUNS streams (by packets received): the machine's other jobs make single runs noisy. */
export async function medianRate(st: Stream): Promise<{ rx: number; sent: number }> {
  const runs: { rx: number; sent: number }[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await rate(st));
  console.error(`scale: fwd runs (received/s): ${runs.map((r) => r.rx.toFixed(0)).join(', ')}`);
  return runs.sort((a, b) => a.rx - b.rx)[Math.floor(RUNS / 2)]!;
}

type Rate = { rx: number; sent: number };
export interface FwdResult {
  small: Rate;
  big: Rate;
  /** Mobile node -> correspondent, reverse-tunnelled through the pair check. */
  reverseSmall: Rate;
  reverseBig: Rate;
  n: number;
}

export async function fwdPhase(n: number): Promise<FwdResult> {
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
    // Care-of addresses 2001:db8:100::/47 are behind the mobile node's link.
    await ha.ip('-6', 'route', 'add', '2001:db8:100::/47', 'via', '2001:db8:f0::2', 'dev', 'ha0');
    await cn.ip('-6', 'route', 'add', '2001:db8:aa::/64', 'via', '2001:db8:c0::1', 'dev', 'cn0');
    // The mobile node of home address 0 at its first care-of address: its own ip6ip6 tunnel
    // to the home agent, the correspondent's prefix through it from the home address.
    await mn.ip('-6', 'addr', 'add', `${scaleCoa(0, 0)}/128`, 'dev', 'mn0', 'nodad');
    await mn.ip('-6', 'addr', 'add', `${scaleHoa(0)}/128`, 'dev', 'lo', 'nodad');
    await mn.ip('link', 'set', 'lo', 'up');
    await mn.ip('-6', 'tunnel', 'add', 'rt0', 'mode', 'ip6ip6', 'local', scaleCoa(0, 0), 'remote', '2001:db8:f0::1', 'encaplimit', 'none');
    await mn.ip('link', 'set', 'rt0', 'up');
    await mn.ip('-6', 'route', 'add', '2001:db8:c0::/64', 'dev', 'rt0', 'src', scaleHoa(0));
    const forward: Stream = { from: cn, to: scaleHoa(0), at: mn, dev: 'mn0' };
    const reverse: Stream = { from: mn, to: '2001:db8:c0::2', at: cn, dev: 'cn0' };
    const k = new HomeAgentKernel(sock, {}, undefined, undefined, 'shared');
    const index = new DesiredIndex(k.reconciler, k.planner);
    const upTo = async (from: number, to: number) => {
      for (let h = from; h < to; h += STEP) {
        for (let x = h; x < Math.min(to, h + STEP); x++) index.update(scaleHoa(x), scaleDesired(x));
        const rep = await k.pass();
        if (rep.failed) throw new Error(`reconcile failed: ${String(rep.errors[0]?.error)}`);
      }
    };
    // 10 bindings (5 home addresses), the neighbour of the care-of link resolved by a first stream.
    await upTo(0, 5);
    await rate(forward);
    await rate(reverse);
    const small = await medianRate(forward);
    const reverseSmall = await medianRate(reverse);
    console.error(`scale: fwd with 10 bindings: ${small.rx.toFixed(0)} packets/s received (reverse ${reverseSmall.rx.toFixed(0)}), ${small.sent.toFixed(0)} sent (reverse ${reverseSmall.sent.toFixed(0)})`);
    await upTo(5, n / 2);
    const big = await medianRate(forward);
    const reverseBig = await medianRate(reverse);
    console.error(`scale: fwd with ${n} bindings: ${big.rx.toFixed(0)} packets/s received (reverse ${reverseBig.rx.toFixed(0)}), ${big.sent.toFixed(0)} sent (reverse ${reverseBig.sent.toFixed(0)})`);
    return { small, big, reverseSmall, reverseBig, n };
  } finally {
    sock.close();
    // Deleting a namespace with N objects takes long in UML: only when small.
    if (n <= 10_000) for (const ns of [ha, mn, cn]) await ns.delete();
  }
}
