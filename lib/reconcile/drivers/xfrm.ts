// XFRM policies and states the home agent owns: the route-optimisation state and policy
// that let the kernel accept Binding Updates with a Home Address option, and later the
// IPsec policies and security associations that protect signalling (§8). Ownership: our
// policies sit in a priority band, our states carry a reqid in a band.
import { classifyError } from '../../platform/kernel-errors.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { policyDelete, policyDump, policyUpdate, type XfrmPolicy } from '../../platform/xfrm/policy.js';
import { stateAdd, stateDelete, stateDump, stateUpdate, type XfrmState } from '../../platform/xfrm/state.js';
import type { ObjectDriver } from '../engine.js';
import { policyKey, stateKey, type XfrmBands } from '../../plan/common/xfrm-objects.js';
import { deleted, ownedByKey } from './idempotent.js';

// The bands and the kernel's identity of each object are the planners' too (plan/common).
export { DEFAULT_XFRM_BANDS, policyKey, stateKey, type XfrmBands } from '../../plan/common/xfrm-objects.js';

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);

/** Algorithms and keys as a dump reads them back (route-optimisation states have none). */
function sameAlgorithms(d: XfrmState, o: XfrmState): boolean {
  const algo = (x?: { name: string; key: Uint8Array }, y?: { name: string; key: Uint8Array }) =>
    x === undefined || y === undefined ? x === y : x.name === y.name && sameBytes(x.key, y.key);
  return (
    algo(d.aead, o.aead) &&
    (d.aead?.icvBits ?? 0) === (o.aead?.icvBits ?? 0) &&
    algo(d.crypt, o.crypt) &&
    algo(d.auth, o.auth) &&
    (d.auth?.truncBits ?? 0) === (o.auth?.truncBits ?? 0)
  );
}

export class XfrmPolicyDriver implements ObjectDriver<XfrmPolicy, XfrmPolicy> {
  readonly kind = 'xfrm-policy';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly bands: XfrmBands,
  ) {}

  private ours(p: XfrmPolicy): boolean {
    return p.priority >= this.bands.priorityBase && p.priority < this.bands.priorityBase + this.bands.priorityCount;
  }

  /** `ip xfrm policy show`, keeping our priority band. */
  async list(): Promise<Map<string, XfrmPolicy>> {
    return ownedByKey(await policyDump(this.sock), (p) => this.ours(p), policyKey);
  }

  same(d: XfrmPolicy, o: XfrmPolicy): boolean {
    if (d.priority !== o.priority || (d.action ?? 'allow') !== (o.action ?? 'allow') || d.templates.length !== o.templates.length) return false;
    return d.templates.every((t, i) => {
      const x = o.templates[i]!;
      return t.proto === x.proto && t.mode === x.mode && (t.reqid ?? 0) === (x.reqid ?? 0) && !!t.optional === !!x.optional && (t.src ?? '::') === (x.src ?? '::') && (t.dst ?? '::') === (x.dst ?? '::');
    });
  }

  /** `ip xfrm policy update src S dst D proto P dir DIR priority N tmpl ...` */
  async create(_key: string, d: XfrmPolicy): Promise<XfrmPolicy> {
    if (!this.ours(d)) throw new RangeError(`xfrm policy priority ${d.priority} is outside our band`);
    await policyUpdate(this.sock, d);
    return d;
  }

  update(key: string, d: XfrmPolicy): Promise<XfrmPolicy> {
    return this.create(key, d);
  }

  /** `ip xfrm policy delete src S dst D proto P dir DIR` */
  async remove(_key: string, o: XfrmPolicy): Promise<void> {
    await deleted(policyDelete(this.sock, { selector: o.selector, dir: o.dir, ...(o.type ? { type: o.type } : {}) }));
  }
}

export class XfrmStateDriver implements ObjectDriver<XfrmState, XfrmState> {
  readonly kind = 'xfrm-state';
  constructor(
    private readonly sock: NetlinkSocket,
    private readonly bands: XfrmBands,
  ) {}

  private ours(s: XfrmState): boolean {
    return s.reqid >= this.bands.reqidBase && s.reqid < this.bands.reqidBase + this.bands.reqidCount;
  }

  /** `ip xfrm state show`, keeping our reqid band. */
  async list(): Promise<Map<string, XfrmState>> {
    return ownedByKey(await stateDump(this.sock), (s) => this.ours(s), stateKey);
  }

  same(d: XfrmState, o: XfrmState): boolean {
    return d.mode === o.mode && d.reqid === o.reqid && (d.flags ?? 0) === (o.flags ?? 0) && (d.coaddr ?? undefined) === (o.coaddr ?? undefined) && (d.replayWindow ?? 0) === (o.replayWindow ?? 0) && sameAlgorithms(d, o);
  }

  /** `ip xfrm state add src S dst D proto P spi N mode M reqid R ...`; one already there is updated. */
  async create(_key: string, d: XfrmState): Promise<XfrmState> {
    if (!this.ours(d)) throw new RangeError(`xfrm state reqid ${d.reqid} is outside our band`);
    try {
      await stateAdd(this.sock, d);
    } catch (err) {
      if (classifyError(err, 'create') !== 'exists') throw err;
      await stateUpdate(this.sock, d);
    }
    return d;
  }

  /**
   * `ip xfrm state update ...` (UPDSA needs the state to exist). The kernel's update keeps
   * the old algorithms, keys and replay window, so a new key or window means `ip xfrm state
   * delete` + `add`.
   */
  async update(key: string, d: XfrmState, o: XfrmState): Promise<XfrmState> {
    if (sameAlgorithms(d, o) && (d.replayWindow ?? 0) === (o.replayWindow ?? 0)) {
      await stateUpdate(this.sock, d);
      return d;
    }
    await this.remove(key, o);
    await stateAdd(this.sock, d);
    return d;
  }

  /** `ip xfrm state delete src S dst D proto P spi N` */
  async remove(_key: string, o: XfrmState): Promise<void> {
    await deleted(stateDelete(this.sock, { src: o.src, dst: o.dst, spi: o.spi, proto: o.proto }));
  }
}
