// bench:scale, fwd phase: packets per second forwarded by the home agent to one home address
// (correspondent -> home agent -> encap nexthop -> care-of address) with 10 bindings
// installed and with N, same boot, same generator (bench/udp-blast.c, built with cc here):
// a steady UDP stream to home address 0, counted as received on the care-of link's far end;
// and the reverse: home address 0's node sends to the correspondent through its ip6ip6 tunnel,
// past the pair filters on the shared device's ingress, counted at the correspondent.
// The two sizes are two worlds (home agent, mobile node and correspondent namespaces each)
// built side by side, and their runs alternate: the machine's other jobs come and go within
// minutes, and measuring one size after the other measured them.
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

const median = (runs: Rate[]): Rate => [...runs].sort((x, y) => x.rx - y.rx)[Math.floor(runs.length / 2)]!;

type Rate = { rx: number; sent: number };
export interface FwdResult {
  small: Rate;
  big: Rate;
  /** Mobile node -> correspondent, reverse-tunnelled through the pair check. */
  reverseSmall: Rate;
  reverseBig: Rate;
  n: number;
  /** Median over the rounds of (N-binding run ÷ 10-binding run). */
  pairedRatio: number;
  reversePairedRatio: number;
  /** Fastest N-binding run ÷ fastest 10-binding run. */
  bestRatio: number;
  reverseBestRatio: number;
}

/** One home agent with its mobile node and correspondent, and the first `n` bindings installed. */
interface World {
  forward: Stream;
  reverse: Stream;
  close(): Promise<void>;
}

async function world(n: number): Promise<World> {
  const ha = await homeNetns();
  const mn = await createNetns('fmn');
  const cn = await createNetns('fcn');
  const sock = NetlinkSocket.open({ protocol: 0, netns: ha.name });
  const close = async (): Promise<void> => {
    sock.close();
    // Deleting a namespace with N objects takes long in UML: only when small.
    if (n <= 10_000) for (const ns of [ha, mn, cn]) await ns.delete();
  };
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
    const k = new HomeAgentKernel(sock, {}, undefined, undefined, 'shared');
    const index = new DesiredIndex(k.reconciler, k.planner);
    for (let h = 0; h < n / 2; h += STEP) {
      for (let x = h; x < Math.min(n / 2, h + STEP); x++) index.update(scaleHoa(x), scaleDesired(x));
      const rep = await k.pass();
      if (rep.failed) throw new Error(`reconcile failed: ${String(rep.errors[0]?.error)}`);
    }
    const w = { forward: { from: cn, to: scaleHoa(0), at: mn, dev: 'mn0' }, reverse: { from: mn, to: '2001:db8:c0::2', at: cn, dev: 'cn0' }, close };
    // The neighbours on the way resolved by a first stream each way.
    await rate(w.forward);
    await rate(w.reverse);
    return w;
  } catch (err) {
    await close();
    throw err;
  }
}

export async function fwdPhase(n: number): Promise<FwdResult> {
  buildBlaster();
  const small = await world(10);
  const big = await world(n).catch(async (err: unknown) => {
    await small.close();
    throw err;
  });
  try {
    const runs = { small: [] as Rate[], big: [] as Rate[], reverseSmall: [] as Rate[], reverseBig: [] as Rate[] };
    for (let i = 0; i < RUNS; i++) {
      runs.small.push(await rate(small.forward));
      runs.big.push(await rate(big.forward));
      runs.reverseSmall.push(await rate(small.reverse));
      runs.reverseBig.push(await rate(big.reverse));
    }
    for (const [k, v] of Object.entries(runs)) console.error(`scale: fwd ${k} runs (received/s): ${v.map((r) => r.rx.toFixed(0)).join(', ')}`);
    // Each round's N-binding run over its 10-binding run, a minute apart at most: the median of these drifts least with the load.
    const paired = (big: Rate[], small: Rate[]): number => big.map((b, i) => b.rx / small[i]!.rx).sort((x, y) => x - y)[Math.floor(big.length / 2)]!;
    const best = (xs: Rate[]): number => Math.max(...xs.map((x) => x.rx));
    const r = {
      small: median(runs.small),
      big: median(runs.big),
      reverseSmall: median(runs.reverseSmall),
      reverseBig: median(runs.reverseBig),
      n,
      pairedRatio: paired(runs.big, runs.small),
      reversePairedRatio: paired(runs.reverseBig, runs.reverseSmall),
      bestRatio: best(runs.big) / best(runs.small),
      reverseBestRatio: best(runs.reverseBig) / best(runs.reverseSmall),
    };
    console.error(`scale: fwd medians, 10 / ${n} bindings: forward ${r.small.rx.toFixed(0)} / ${r.big.rx.toFixed(0)} received (sent ${r.small.sent.toFixed(0)} / ${r.big.sent.toFixed(0)}), reverse ${r.reverseSmall.rx.toFixed(0)} / ${r.reverseBig.rx.toFixed(0)} (sent ${r.reverseSmall.sent.toFixed(0)} / ${r.reverseBig.sent.toFixed(0)})`);
    return r;
  } finally {
    await small.close();
    await big.close();
  }
}
