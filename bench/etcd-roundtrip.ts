// Round trips of the etcd operations cluster mode uses, against a real single-member etcd on
// loopback started here: put, linearizable get, compare-and-swap txn on a mod revision,
// lease grant, lease keep-alive, and put-to-watch-event delivery. Prints median and p99 in
// milliseconds, one JSON line per operation, then a RESULT line. Usage:
// node dist/bench/etcd-roundtrip.js [N]  (N round trips per operation, 500 by default)
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { EtcdServer, etcdMissing } from '../test/etcd-server.js';

const n = Number(process.argv[2] ?? 500);

const result: string[] = [];

function summary(name: string, ms: number[]): void {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => Number(s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(3));
  console.log(JSON.stringify({ op: name, n: s.length, median_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1) }));
  result.push(`${name}_median_ms=${at(0.5)}`, `${name}_p99_ms=${at(0.99)}`);
}

async function timed(count: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return out;
}

async function main(): Promise<void> {
  const missing = etcdMissing();
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  const server = await EtcdServer.start({ onDisk: true });
  const client = new Etcd3({ hosts: server.endpoint });
  try {
    await client.put('warm').value('x');
    summary('put', await timed(n, (i) => client.put('bench/put').value(String(i)).exec()));
    summary('get', await timed(n, () => client.get('bench/put').string()));
    let rev = (await client.put('bench/cas').value('0')).header.revision;
    summary('txn_cas', await timed(n, async (i) => {
      const r = await client.if('bench/cas', 'Mod', '==', rev).then(client.put('bench/cas').value(String(i))).commit();
      if (!r.succeeded) throw new Error('CAS lost with one writer');
      rev = r.header.revision;
    }));
    const leases: ReturnType<Etcd3['lease']>[] = [];
    summary('lease_grant', await timed(Math.min(n, 200), async () => {
      const l = client.lease(10, { autoKeepAlive: false });
      leases.push(l);
      await l.grant();
    }));
    const lease = leases[0]!;
    summary('lease_keepalive', await timed(n, () => lease.keepaliveOnce()));
    for (const l of leases) await l.revoke();
    const watcher = await client.watch().key('bench/watch').create();
    let resolveEvent: (() => void) | null = null;
    watcher.on('put', () => resolveEvent?.());
    summary('put_to_watch_event', await timed(n, async (i) => {
      const seen = new Promise<void>((resolve) => (resolveEvent = resolve));
      await client.put('bench/watch').value(String(i));
      await seen;
    }));
    await watcher.cancel();
    console.log(`RESULT ${result.join(' ')}`);
  } finally {
    client.close();
    await server.destroy();
  }
}

await main();
