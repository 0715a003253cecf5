// Three namespaces for the shared-tunnel data plane probe: a correspondent (cn), the
// home agent (ha) and a mobile node (mn) with three care-of addresses on three links,
// one ip6ip6 tunnel per care-of address towards the home agent (t1, t2, t3), the home
// address on its loopback. Only the mobile node's side and the plain links are built
// here; the home agent's data plane is what the tests build, with `ip`/`tc` or netlink.
import { addVethPair, type Netns } from './netns.js';

export const HA = '2001:db8:aa::1';
export const HOA = '2001:db8:aa::100';
/** A second home address on the mobile node that no pair filter allows. */
export const HOA_OTHER = '2001:db8:aa::200';
export const CN = '2001:db8:c::10';
export const CN_GW = '2001:db8:c::1';
/** Care-of addresses: COA[0] on link 1 ... COA[2] on link 3 (COA[2] is never registered). */
export const COA = ['2001:db8:f1::2', '2001:db8:f2::2', '2001:db8:f3::2'] as const;
/** Extra sources on the correspondent, one flow each, to spread over a group. */
export const FLOW_SOURCES = Array.from({ length: 24 }, (_, i) => `2001:db8:c::${(0x20 + i).toString(16)}`);

export interface Topology {
  cn: Netns;
  ha: Netns;
  mn: Netns;
}

export async function buildTopology([cn, ha, mn]: Netns[]): Promise<Topology> {
  if (!cn || !ha || !mn) throw new Error('buildTopology needs three namespaces');
  await addVethPair(cn, 'c0', ha, 'h0');
  for (const i of [1, 2, 3]) await addVethPair(mn, `m${i}`, ha, `h${i}`);
  await cn.ip('link', 'set', 'c0', 'up');
  for (const l of ['h0', 'h1', 'h2', 'h3']) await ha.ip('link', 'set', l, 'up');
  for (const l of ['m1', 'm2', 'm3']) await mn.ip('link', 'set', l, 'up');
  await ha.exec('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
  // Flow label 0 on the correspondent's pings, so a flow's hash is its addresses only.
  await cn.exec('sysctl', '-qw', 'net.ipv6.auto_flowlabels=0');
  await ha.ip('addr', 'add', `${HA}/64`, 'dev', 'lo', 'nodad');
  await ha.ip('addr', 'add', `${CN_GW}/64`, 'dev', 'h0', 'nodad');
  await cn.ip('addr', 'add', `${CN}/64`, 'dev', 'c0', 'nodad');
  for (const s of FLOW_SOURCES) await cn.ip('addr', 'add', `${s}/64`, 'dev', 'c0', 'nodad');
  await cn.ip('route', 'add', '2001:db8:aa::/64', 'via', CN_GW);
  for (const i of [1, 2, 3]) {
    await ha.ip('addr', 'add', `2001:db8:f${i}::1/64`, 'dev', `h${i}`, 'nodad');
    await mn.ip('addr', 'add', `${COA[i - 1]}/64`, 'dev', `m${i}`, 'nodad');
  }
  await mn.ip('route', 'add', `${HA}/128`, 'via', '2001:db8:f1::1', 'dev', 'm1');
  for (const i of [1, 2, 3]) {
    await mn.ip('link', 'add', `t${i}`, 'type', 'ip6tnl', 'local', COA[i - 1]!, 'remote', HA, 'mode', 'ip6ip6');
    await mn.ip('link', 'set', `t${i}`, 'up');
  }
  await mn.ip('addr', 'add', `${HOA}/128`, 'dev', 'lo', 'nodad');
  await mn.ip('addr', 'add', `${HOA_OTHER}/128`, 'dev', 'lo', 'nodad');
  await reverseVia(mn, 1);
  return { cn, ha, mn };
}

/** The mobile node sends everything for the correspondent's prefix through tunnel tN. */
export async function reverseVia(mn: Netns, n: 1 | 2 | 3): Promise<void> {
  await mn.ip('-6', 'route', 'replace', '2001:db8:c::/64', 'dev', `t${n}`);
}

/** One echo request; true when the reply came. The first may wait for neighbour discovery. */
export async function ping(ns: Netns, from: string, to: string, waitS = 3): Promise<boolean> {
  try {
    await ns.exec('ping', '-n', '-c', '1', '-W', String(waitS), '-I', from, to);
    return true;
  } catch {
    return false;
  }
}

/** Pings until one reply comes (neighbour discovery, DAD-free addresses settling). */
export async function pingEventually(ns: Netns, from: string, to: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await ping(ns, from, to)) return true;
  return false;
}

export interface LinkCounters {
  rxPackets: number;
  txPackets: number;
}

export async function linkCounters(ns: Netns, dev: string): Promise<LinkCounters> {
  const [l] = JSON.parse(await ns.ip('-j', '-s', 'link', 'show', 'dev', dev)) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[];
  if (!l) throw new Error(`no link ${dev} in ${ns.name}`);
  return { rxPackets: l.stats64.rx.packets, txPackets: l.stats64.tx.packets };
}

/** What `tc -s -j filter show dev DEV ingress` says about each filter (head entries skipped). */
export interface TcShown {
  kind: string;
  pref: number;
  handle: number;
  keys: Record<string, string>;
  packets: number;
  drops: number;
}

export async function tcFilters(ns: Netns, dev: string): Promise<TcShown[]> {
  type Raw = {
    kind: string;
    pref: number;
    options?: { handle: number; keys?: Record<string, string>; actions?: { stats: { packets: number; drops: number } }[] };
  };
  const raw = JSON.parse(await ns.exec('tc', '-s', '-j', 'filter', 'show', 'dev', dev, 'ingress')) as Raw[];
  return raw
    .filter((r) => r.options !== undefined)
    .map((r) => {
      const st = r.options!.actions?.[0]?.stats ?? { packets: 0, drops: 0 };
      return { kind: r.kind, pref: r.pref, handle: r.options!.handle, keys: r.options!.keys ?? {}, packets: st.packets, drops: st.drops };
    });
}

/** Buckets of a resilient group: bucket index -> member nexthop id (`ip -j nexthop bucket show id G`). */
export async function groupBuckets(ha: Netns, group: number): Promise<Map<number, number>> {
  const raw = JSON.parse(await ha.ip('-j', 'nexthop', 'bucket', 'show', 'id', String(group))) as { bucket: { index: number; nhid: number } }[];
  return new Map(raw.map((b) => [b.bucket.index, b.bucket.nhid]));
}
