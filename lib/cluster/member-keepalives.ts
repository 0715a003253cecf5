// Lease keep-alives sent to every etcd member at once, each over its own connection.
//
// Why: etcd3's connection pool sends a request to one member and, when that member dies
// without closing its connections (SIGKILL, a cut cable), keeps choosing it until the request's
// deadline; with the lease margin (TTL − margin, 1.5 s by default) a dead member the pool
// happens to pick makes the active step down although two members of three still answer.
// A keep-alive answered by any member is one the raft leader handled (a follower forwards it
// to the leader and answers only with the leader's reply), so the lease is renewed from the
// first answer on; the others are redundant renewals of the same lease.
import { Etcd3, EtcdLeaseInvalidError, type IOptions } from 'etcd3';

export interface KeepaliveAnswer {
  /** The TTL etcd gave the lease, in seconds. */
  ttlSeconds: number;
}

/** Why no member answered: each member's endpoint and error. */
export class NoMemberAnsweredError extends Error {
  constructor(readonly failures: readonly { endpoint: string; error: string }[]) {
    super(`no etcd member answered the keep-alive: ${failures.map((f) => `${f.endpoint}: ${f.error}`).join('; ')}`);
  }
}

/** Whether a keep-alive's answer says the lease is gone (TTL 0 or below, as etcd answers for an unknown lease). */
const expired = (ttl: unknown): boolean => Number(ttl) <= 0;

export class MemberKeepalives {
  private readonly members: { endpoint: string; client: Etcd3 }[];

  /** `options`: the cluster's client options (TLS and all); one client per endpoint of `endpoints`. */
  constructor(endpoints: readonly string[], options: IOptions) {
    this.members = endpoints.map((endpoint) => ({ endpoint, client: new Etcd3({ ...options, hosts: [endpoint] }) }));
  }

  get size(): number {
    return this.members.length;
  }

  /**
   * One keep-alive of lease `id` to every member; resolves with the first answer, rejects
   * with EtcdLeaseInvalidError when a member says the lease is gone, or NoMemberAnsweredError
   * when none answered by `deadline` (Date.now() milliseconds).
   */
  keepalive(id: string, deadline: number): Promise<KeepaliveAnswer> {
    return new Promise((resolve, reject) => {
      const failures: { endpoint: string; error: string }[] = [];
      let settled = false;
      const fail = (endpoint: string, error: unknown): void => {
        if (settled) return;
        if (error instanceof EtcdLeaseInvalidError) {
          settled = true;
          return reject(error);
        }
        failures.push({ endpoint, error: error instanceof Error ? error.message : String(error) });
        if (failures.length === this.members.length) {
          settled = true;
          reject(new NoMemberAnsweredError(failures));
        }
      };
      for (const m of this.members) {
        this.once(m.client, id, deadline).then(
          (ttl) => {
            if (settled) return;
            if (expired(ttl)) return fail(m.endpoint, new EtcdLeaseInvalidError(id));
            settled = true;
            resolve({ ttlSeconds: Number(ttl) });
          },
          (e: unknown) => fail(m.endpoint, e),
        );
      }
    });
  }

  close(): void {
    for (const m of this.members) m.client.close();
  }

  /** One keep-alive on `client`'s stream: the TTL answered. */
  private async once(client: Etcd3, id: string, deadline: number): Promise<string> {
    const stream = await client.leaseClient.leaseKeepAlive({ deadline });
    try {
      return await new Promise<string>((resolve, reject) => {
        stream.on('data', (res: { TTL: string }) => resolve(res.TTL));
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('keep-alive stream ended without an answer')));
        stream.write({ ID: id });
      });
    } finally {
      stream.end();
    }
  }
}
