// The payload SAs and policies of every home address (payload-ipsec.ts), merged per home
// address as its tunnels change into the desired set a reconciler holds, and the
// XFRM_MSG_MIGRATE step that moves a binding's outbound SA to its new care-of address
// (MCoA §8.1, K bit). Pure bookkeeping: changed keys go to a sink (the Reconciler's put).
import type { HoaIpsecSas } from '../../config/daemon-config.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { Ip6 } from '../../inet/ip6.js';
import { policyKey, stateKey, type XfrmBands, type XfrmObjects } from '../common/xfrm-objects.js';
import type { DesiredSink } from './desired-index.js';
import { ipsecReqids } from './signalling-ipsec.js';
import { payloadIpsecXfrm, payloadMigration, payloadSpiClashes, type PayloadMigration, type PayloadTunnel } from './payload-ipsec.js';

type XfrmKind = 'xfrm-state' | 'xfrm-policy';
const KINDS: readonly XfrmKind[] = ['xfrm-state', 'xfrm-policy'];

/** A value's identity for "did it change": keys as hex, field order as built. */
function fingerprint(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

interface Wanted {
  obj: XfrmState | XfrmPolicy;
  print: string;
}

export interface PayloadSettings {
  sas: Readonly<Record<Ip6, HoaIpsecSas>>;
  ha: Ip6;
  bands: XfrmBands;
}

export class PayloadIpsecIndex {
  private settings: PayloadSettings | undefined;
  private reqids = new Map<Ip6, number>();
  /** Home addresses refused payload SAs: spi_in shared with this other home address. */
  clashes = new Map<Ip6, Ip6>();
  private readonly tunnels = new Map<Ip6, PayloadTunnel[]>();
  private readonly perHoa = new Map<Ip6, Map<string, Wanted>>();
  /** kind -> key -> (home address -> wanted); the first owner's object is the one installed. */
  private readonly owners = new Map<XfrmKind, Map<string, Map<Ip6, Wanted>>>(KINDS.map((k) => [k, new Map()]));

  constructor(private readonly sink: DesiredSink) {}

  /** New configuration: every home address is recomputed (unchanged objects keep their identity). */
  configure(settings: PayloadSettings): void {
    this.settings = settings;
    this.reqids = ipsecReqids(settings.sas, settings.bands);
    this.clashes = payloadSpiClashes(settings.sas);
    for (const [hoa, tunnels] of [...this.tunnels]) this.apply(hoa, tunnels, false);
  }

  /** Whether the home address has payload SAs in force. */
  protects(hoa: Ip6): boolean {
    return this.settings?.sas[hoa]?.payload !== undefined && !this.clashes.has(hoa);
  }

  /** Care-of addresses of the home address's tunnels at the last update. */
  coas(hoa: Ip6): Set<Ip6> {
    return new Set((this.tunnels.get(hoa) ?? []).map((t) => t.remote));
  }

  /** The home address's tunnels changed: writes the keys that changed to the sink. */
  update(hoa: Ip6, tunnels: readonly PayloadTunnel[]): void {
    this.apply(hoa, tunnels, true);
  }

  /** Every wanted object, one per key (for the reconciler's full XFRM set). */
  all(): XfrmObjects {
    const first = (kind: XfrmKind) => [...this.owners.get(kind)!.values()].map((o) => o.values().next().value!.obj);
    return { states: first('xfrm-state') as XfrmState[], policies: first('xfrm-policy') as XfrmPolicy[] };
  }

  /** The migrate step for a move, when the home address has payload SAs. */
  migration(hoa: Ip6, from: Ip6, to: Ip6, bid: number): PayloadMigration | undefined {
    const s = this.settings;
    const reqid = this.reqids.get(hoa);
    if (!s || reqid === undefined || !this.protects(hoa)) return undefined;
    return payloadMigration(s.ha, { hoa, bid, from, to }, reqid, s.bands);
  }

  private apply(hoa: Ip6, tunnels: readonly PayloadTunnel[], put: boolean): void {
    if (tunnels.length === 0) this.tunnels.delete(hoa);
    else this.tunnels.set(hoa, [...tunnels]);
    const next = new Map<string, Wanted>();
    const s = this.settings;
    const sa = s?.sas[hoa]?.payload;
    const reqid = this.reqids.get(hoa);
    if (s && sa && reqid !== undefined && !this.clashes.has(hoa)) {
      const o = payloadIpsecXfrm(s.ha, tunnels, sa, reqid, s.bands);
      for (const st of o.states) next.set(`xfrm-state\n${stateKey(st)}`, { obj: st, print: fingerprint(st) });
      for (const p of o.policies) next.set(`xfrm-policy\n${policyKey(p)}`, { obj: p, print: fingerprint(p) });
    }
    const prev = this.perHoa.get(hoa);
    for (const full of prev?.keys() ?? []) {
      if (next.has(full)) continue;
      this.setOwner(full, hoa, undefined, put);
    }
    for (const [full, w] of next) {
      const old = prev?.get(full);
      if (old && old.print === w.print) next.set(full, old); // same object: no write
      else this.setOwner(full, hoa, w, put);
    }
    if (next.size === 0) this.perHoa.delete(hoa);
    else this.perHoa.set(hoa, next);
  }

  private setOwner(full: string, hoa: Ip6, w: Wanted | undefined, put: boolean): void {
    const cut = full.indexOf('\n');
    const kind = full.slice(0, cut) as XfrmKind;
    const key = full.slice(cut + 1);
    const byKey = this.owners.get(kind)!;
    const firstBefore = byKey.get(key)?.values().next().value;
    let o = byKey.get(key);
    if (w) {
      if (!o) byKey.set(key, (o = new Map()));
      o.set(hoa, w);
    } else {
      o?.delete(hoa);
      if (o && o.size === 0) byKey.delete(key);
    }
    const firstAfter = byKey.get(key)?.values().next().value;
    if (put && firstAfter !== firstBefore) this.sink.put(kind, key, firstAfter?.obj);
  }
}
