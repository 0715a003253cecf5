// Where cluster mode keeps things in etcd, all under the configured key prefix:
//   <prefix>bindings/<home address>   one binding record per home address (binding-record.ts)
//   <prefix>owner/<service address>   the active node's name, attached to its lease
//   <prefix>members/<node>            a live node's service addresses and preferences, on its lease
//   <prefix>esp-seq/<dst>/<SPI>        high-water mark of a static ESP SA's output sequence number (esp-seq.ts)
import type { Ip6 } from '../inet/ip6.js';

export class ClusterKeys {
  constructor(readonly prefix: string) {}

  get bindings(): string {
    return `${this.prefix}bindings/`;
  }

  binding(hoa: Ip6): string {
    return `${this.bindings}${hoa}`;
  }

  /** The home address a binding key names, or null for a key outside the bindings. */
  hoaOf(key: string): string | null {
    return key.startsWith(this.bindings) ? key.slice(this.bindings.length) : null;
  }

  owner(service: Ip6): string {
    return `${this.prefix}owner/${service}`;
  }

  get members(): string {
    return `${this.prefix}members/`;
  }

  member(node: string): string {
    return `${this.members}${node}`;
  }

  get espSeq(): string {
    return `${this.prefix}esp-seq/`;
  }
}
