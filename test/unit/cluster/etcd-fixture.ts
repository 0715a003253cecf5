// One real etcd per test file (node --test runs files in parallel processes, each its own
// server on its own ports), and helpers to wait for an event with a generous bound.
import { after, before } from 'node:test';
import { Etcd3 } from 'etcd3';
import { EtcdServer, etcdMissing } from '../../etcd-server.js';
import { etcdOptions } from '../../../lib/cluster/etcd-client.js';

/** Why the etcd tests skip here (not root and no etcd binary), or false. */
export const skip: string | false = etcdMissing() ?? false;

/** The file's etcd, started before its first test and removed after its last. */
export function useEtcd(): { server: () => EtcdServer; client: (endpoint?: string) => Etcd3 } {
  let server: EtcdServer | null = null;
  const clients: Etcd3[] = [];
  before(async () => {
    if (!skip) server = await EtcdServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.destroy();
  });
  return {
    server: () => server!,
    client: (endpoint?: string) => {
      const c = new Etcd3(etcdOptions({ endpoints: [endpoint ?? server!.endpoint], tls: null }));
      clients.push(c);
      return c;
    },
  };
}

/** Resolves when `cond` holds, checking every 20 ms; fails after `ms` with `what`. */
export async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
