// The live members of the cluster: each node keeps a key on its lease naming the service
// addresses it may serve and its preference for each; the key vanishes with the lease. A
// standby's rank for an address (how many live members are preferred to it) delays its
// campaign, so the most preferred live node normally wins a vacant address. A drained node
// (`mcoactl drain`) says so in its key: it campaigns for nothing, so it neither delays another's
// campaign nor counts as a node that would take over an address (shares.ts, switchTargets).
import { EventEmitter } from 'node:events';
import type { Etcd3, Watcher } from 'etcd3';
import type { Ip6 } from '../inet/ip6.js';
import type { ClusterKeys } from './keys.js';
import { openWatch } from './open-watch.js';

export interface Member {
  node: string;
  preferences: Readonly<Record<Ip6, number>>;
  /** Drained by the operator: campaigns for nothing until undrained. */
  drained?: true;
}

export function decodeMember(text: string): Member | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const { node, preferences, drained } = v as Record<string, unknown>;
    if (typeof node !== 'string' || typeof preferences !== 'object' || preferences === null) return null;
    if (!Object.values(preferences).every((p) => Number.isInteger(p))) return null;
    if (drained !== undefined && typeof drained !== 'boolean') return null;
    return { node, preferences: preferences as Record<Ip6, number>, ...(drained === true ? { drained } : {}) };
  } catch {
    return null;
  }
}

/** a before b: the higher preference first, then the smaller node name (a fixed tie-break). */
export function preferred(a: { node: string; preference: number }, b: { node: string; preference: number }): boolean {
  return a.preference !== b.preference ? a.preference > b.preference : a.node < b.node;
}

export class Membership extends EventEmitter<{ changed: [] }> {
  private watcher: Watcher | null = null;
  private members = new Map<string, Member>();
  private leaseId: string | null = null;
  private drained = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    readonly self: Member,
  ) {
    super();
  }

  /** Puts this node's member key on the lease `leaseId`. */
  async register(leaseId: string): Promise<void> {
    this.leaseId = leaseId;
    const value: Member = { ...this.self, ...(this.drained ? { drained: true } : {}) };
    await this.client.put(this.keys.member(this.self.node)).value(JSON.stringify(value)).lease(leaseId).exec();
  }

  /** `mcoactl drain` / `undrain`: the member key says so (written again on the current lease, and on every new one); unchanged, nothing is written. */
  async setDrained(drained: boolean): Promise<void> {
    if (drained === this.drained) return;
    this.drained = drained;
    if (this.leaseId) await this.register(this.leaseId);
  }

  /** Reads the members, then follows them. */
  async start(): Promise<void> {
    const r = await this.client.getAll().prefix(this.keys.members).exec();
    for (const kv of r.kvs) this.set(kv.key.toString('utf8'), kv.value.toString('utf8'));
    this.watcher = await openWatch(this.client.watch().prefix(this.keys.members).startRevision(String(Number(r.header.revision) + 1)), (w) => {
      w.on('put', (kv) => {
        this.set(kv.key.toString('utf8'), kv.value.toString('utf8'));
        this.emit('changed');
      });
      w.on('delete', (kv) => {
        this.members.delete(kv.key.toString('utf8').slice(this.keys.members.length));
        this.emit('changed');
      });
      w.on('error', () => {});
    });
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.cancel();
  }

  list(): Member[] {
    return [...this.members.values()];
  }

  /** How many live, undrained members other than this node are preferred to it for `address`. */
  rank(address: Ip6): number {
    const me = { node: this.self.node, preference: this.self.preferences[address] ?? 0 };
    let n = 0;
    for (const m of this.members.values()) {
      const p = m.preferences[address];
      if (m.node !== me.node && !m.drained && p !== undefined && preferred({ node: m.node, preference: p }, me)) n++;
    }
    return n;
  }

  private set(key: string, value: string): void {
    const m = decodeMember(value);
    const node = key.slice(this.keys.members.length);
    if (m && m.node === node) this.members.set(node, m);
  }
}
