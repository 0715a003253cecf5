// bench:cluster — cluster mode's cost and failover, inside user-mode Linux (npm run bench:cluster):
//   1. first registrations/s and refreshes/s through the real MH socket with one etcd member
//      and one active mcoad, next to the same load on a single home agent (no cluster:) in
//      the same boot: ratio_new, ratio_refresh. The etcd writes made during the refreshes are
//      read from `show cluster`'s store counters (a refresh within the staleness bounds is
//      not written: refresh_etcd_writes should be 0).
//   2. failover_ms: kill -9 of the active home agent with a warm standby, the interruption of
//      a UDP echo measured as cluster-failover.test.ts does (datagrams lost × 50 ms), R rounds
//      in fresh worlds, median.
// Arguments: [M home addresses (1000)] [WINDOW (64)] [REFRESH_SECONDS (5)] [rounds=R (3)].
import { ip6 } from '../test/ip6.js';
import { EtcdServer } from '../test/etcd-server.js';
import { HA, MobileNodeSide, counter, pairTopology, removeDir, startDaemon, stopDaemon, tempDir, until, writeHomeAgentConfig } from '../test/kernel/fixtures/index.js';
import { activeForHa, holdsServiceAddress, showCluster, withClusterWorld } from '../test/kernel/fixtures/cluster.js';
import { crashActive, failedOver, running } from '../test/kernel/fixtures/cluster-run.js';
import { createNetns } from '../test/kernel/netns.js';
import { readFileSync } from 'node:fs';
import { Sequences, addHomeAddresses, refreshes, registrations, type LoadResult } from './cluster-load.js';

const args = process.argv.slice(2).filter((a) => !a.includes('='));
const M = Number(args[0] ?? 1000);
const WINDOW = Number(args[1] ?? 64);
const REFRESH_MS = Number(args[2] ?? 5) * 1000;
const ROUNDS = Number(process.argv.find((a) => a.startsWith('rounds='))?.slice(7) ?? 3);
/** This node's own address on the home link in cluster mode: the service address is the active node's to add. */
const OWN_HOME_ADDRESS = ip6('2001:db8:aa::11');

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface ModeResult {
  fresh: LoadResult;
  /** CPU seconds used during the first registrations by mcoad and by etcd. */
  freshCpu: { mcoad: number; etcd: number };
  refresh: LoadResult & { perHoa: number };
  /** Cluster mode: etcd writes and refreshes not written during the refresh phase. */
  store?: { writes: number; skipped: number };
}

/** One home agent (alone, or the one active node of a cluster with its etcd member) under the load. */
async function loadPhase(cluster: boolean): Promise<ModeResult> {
  const ha = await createNetns(cluster ? 'cha' : 'sha');
  const mnNs = await createNetns(cluster ? 'cmn' : 'smn');
  const dir = tempDir();
  let etcd: EtcdServer | undefined;
  try {
    await pairTopology(ha, mnNs);
    await addHomeAddresses(mnNs, M);
    let topLevel = '';
    if (cluster) {
      await ha.ip('-6', 'addr', 'del', `${HA}/64`, 'dev', 'home0');
      await ha.ip('-6', 'addr', 'add', `${OWN_HOME_ADDRESS}/64`, 'dev', 'home0', 'nodad');
      await ha.ip('link', 'set', 'lo', 'up');
      etcd = await EtcdServer.start({ host: '127.0.0.1', wrap: ['ip', 'netns', 'exec', ha.name], onDisk: true });
      topLevel = `cluster:\n  endpoints: ['${etcd.endpoint}']\n  node: ha1\n  service_addresses:\n    ${HA}: { preference: 100 }\n`;
    }
    const config = writeHomeAgentConfig(dir, { ipsecRequired: false, logLevel: 'warn', dataplane: 'shared', topLevel });
    const d = await startDaemon(ha, dir, config, cluster ? 'mcoad (cluster)' : 'mcoad');
    if (cluster) {
      await until('the home agent active for the service address', () => activeForHa(d));
      await until('the service address on home0', () => holdsServiceAddress(ha));
    }
    const mn = new MobileNodeSide(mnNs);
    const seqs = new Sequences();
    const cpu0 = { mcoad: cpuSeconds(d.proc.pid), etcd: cpuSeconds(etcd?.pid) };
    const fresh = await registrations(mn, M, WINDOW, seqs);
    const freshCpu = { mcoad: cpuSeconds(d.proc.pid) - cpu0.mcoad, etcd: cpuSeconds(etcd?.pid) - cpu0.etcd };
    const before = cluster ? (await showCluster(d))!.store : undefined;
    const refresh = await refreshes(mn, M, WINDOW, REFRESH_MS, seqs);
    const after = cluster ? (await showCluster(d))!.store : undefined;
    const accepted = await counter(d, 'status', '0');
    console.error(`cluster bench: ${cluster ? 'cluster' : 'single'}: BIDs accepted ${accepted}, refresh BUs sent ${refresh.sent}, at most ${refresh.perHoa} per home address`);
    mn.close();
    await stopDaemon(d, 'SIGTERM');
    const store = before && after ? { writes: after.writes - before.writes, skipped: after.skipped - before.skipped } : undefined;
    return { fresh, freshCpu, refresh, ...(store ? { store } : {}) };
  } finally {
    await etcd?.destroy();
    await ha.delete();
    await mnNs.delete();
    removeDir(dir);
  }
}

/** One kill -9 of the active with a warm standby: the interruption in ms. */
async function failoverRound(): Promise<number> {
  return withClusterWorld(async (w) => {
    const log = { diagnostic: (m: string) => console.error(`cluster bench: ${m}`) };
    const r = await running(w, log);
    const { cut, refreshesBefore } = await crashActive(w, r);
    return failedOver(w, r, log, 'failover', cut, refreshesBefore);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const single = await loadPhase(false);
const cluster = await loadPhase(true);
const failovers: number[] = [];
for (let i = 0; i < ROUNDS; i++) failovers.push(await failoverRound());

const f = (x: number): string => x.toFixed(0);
const cpu = (r: ModeResult): string => `${r.freshCpu.mcoad.toFixed(1)} / ${r.freshCpu.etcd.toFixed(1)}`;
console.log(`| mode (${M} home addresses, ${WINDOW} outstanding) | first registrations/s | BUs sent for them | CPU s mcoad / etcd | refreshes/s | etcd writes during the refreshes |`);
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| single | ${f(single.fresh.perS)} | ${single.fresh.sent} | ${cpu(single)} | ${f(single.refresh.perS)} | - |`);
console.log(`| cluster (1 etcd, 1 active) | ${f(cluster.fresh.perS)} | ${cluster.fresh.sent} | ${cpu(cluster)} | ${f(cluster.refresh.perS)} | ${cluster.store!.writes} (not written: ${cluster.store!.skipped}) |`);
console.log(`failover (kill -9 of the active): ${failovers.join(', ')} ms`);
const ratioNew = cluster.fresh.perS / single.fresh.perS;
const ratioRefresh = cluster.refresh.perS / single.refresh.perS;
console.log(
  `RESULT ratio_new=${ratioNew.toFixed(3)} ratio_refresh=${ratioRefresh.toFixed(3)} failover_ms=${median(failovers)} ` +
    `new_per_s=${f(cluster.fresh.perS)} new_single_per_s=${f(single.fresh.perS)} refresh_per_s=${f(cluster.refresh.perS)} refresh_single_per_s=${f(single.refresh.perS)} ` +
    `refresh_etcd_writes=${cluster.store!.writes} refresh_not_written=${cluster.store!.skipped} refreshes_per_hoa=${cluster.refresh.perHoa} ` +
    `refused_new=${cluster.fresh.refused + single.fresh.refused} new_bus_sent=${cluster.fresh.sent} new_single_bus_sent=${single.fresh.sent} ` +
    `new_cpu_s_mcoad=${cluster.freshCpu.mcoad.toFixed(1)} new_cpu_s_etcd=${cluster.freshCpu.etcd.toFixed(1)} new_single_cpu_s_mcoad=${single.freshCpu.mcoad.toFixed(1)} failover_runs_ms=${failovers.join(',')}`,
);
