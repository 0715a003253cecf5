// How the home agent marks the kernel objects it owns, so that a restart adopts them and
// nothing an administrator made by hand is ever touched.
export interface OwnershipMarks {
  /** rtm_protocol of routes, nh_protocol of nexthops, NDA_PROTOCOL of proxy entries.
      135 (the Mobility Header's protocol number) is not in rtnetlink.h's RTPROT_* list. */
  protocol: number;
  /** Interface name prefix of our ip6tnl links (names are at most 15 octets). */
  tunnelPrefix: string;
  /** First nexthop id of our band; ids are allocated upwards from it. */
  nexthopIdBase: number;
  /** Size of the nexthop id band. */
  nexthopIdCount: number;
  /** Routing table of home address routes. */
  table: number;
  /** Nexthop id band of the shared data plane (encap nexthops, resilient groups): apart from
      the per-binding band, and large enough for 100,000 bindings and their groups. */
  sharedNexthopIdBase: number;
  sharedNexthopIdCount: number;
}

export const DEFAULT_MARKS: OwnershipMarks = {
  protocol: 135,
  tunnelPrefix: 'mip6t',
  nexthopIdBase: 0x4d430000,
  nexthopIdCount: 0x10000,
  table: 254,
  sharedNexthopIdBase: 0x4d440000,
  sharedNexthopIdCount: 0x400000,
};

/** The one external ip6tnl device of the shared data plane: our prefix, and a '-' that no
    per-binding tunnel name (base 36 after the prefix) can contain. */
export const sharedDeviceName = (marks: Pick<OwnershipMarks, 'tunnelPrefix'>): string => `${marks.tunnelPrefix}-0`;

/** tc filter handles of ours on the shared device: 0x4d000000 (the drop) and up (pairs). */
export const FILTER_HANDLE_BASE = 0x4d000000;
export const FILTER_HANDLE_COUNT = 0x1000000;

/** Allocates names or ids not in use, starting after the last one handed out. */
export class Allocator<T> {
  private readonly used = new Set<T>();
  private next = 0;

  constructor(
    private readonly make: (n: number) => T,
    private readonly limit: number,
  ) {}

  take(): T {
    for (let tries = 0; tries < this.limit; tries++) {
      const v = this.make(this.next);
      this.next = (this.next + 1) % this.limit;
      if (!this.used.has(v)) {
        this.used.add(v);
        return v;
      }
    }
    throw new RangeError('identifier band exhausted');
  }

  claim(v: T): void {
    this.used.add(v);
  }

  release(v: T): void {
    this.used.delete(v);
  }
}

/** tc chains of ours on the shared device's egress: one per home address with RFC 6089
    flows, below TC_ACT_EXT_VAL_MASK (a goto names its chain in 28 bits). */
export const FLOW_CHAIN_BASE = 0x4d0000;
export const FLOW_CHAIN_COUNT = 0x100000;
