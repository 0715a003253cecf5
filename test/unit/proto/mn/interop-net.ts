// A network for the mobile node core: lib/proto's HomeAgent and CorrespondentNode as peers,
// every message encoded, sealed and decoded with lib/wire on the way, as on a real link.
import assert from 'node:assert/strict';
import { formatIp6, ip6Equal, mustParseIp6 } from '../../../../lib/inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../../lib/wire/profiles.js';
import type { BindingUpdate, MobilityMessage } from '../../../../lib/wire/types.js';
import { HomeAgent } from '../../../../lib/proto/ha/home-agent.js';
import { CorrespondentNode } from '../../../../lib/proto/cn/correspondent.js';
import { DEFAULT_BRR_POLICY, type HomeAgentConfig } from '../../../../lib/proto/common/core-config.js';
import { sealBindingAuthorization } from '../../../../lib/proto/common/rr-crypto.js';
import { sealBindingUpdate, type MnAction, type MnEvent } from '../../../../lib/proto/mn/index.js';
import { CN, HA, HOA, seededRandom, type Mn } from './harness.js';

export function haConfig(over: Partial<HomeAgentConfig> = {}): HomeAgentConfig {
  return {
    homeAgentAddress: formatIp6(HA),
    servedPrefixes: ['2001:db8:1::/64'],
    maxLifetimeSeconds: 3600,
    homeBindingLifetimeSeconds: 3600,
    mcoaAllowed: true,
    bulkAllowed: true,
    ipsecRequired: true,
    keyManagementMobility: false,
    mobileRouterSupport: false,
    authorisation: { default: { allowed: true }, homeAddresses: {} },
    brrPolicy: DEFAULT_BRR_POLICY,
    homeLinkInterface: 'home0',
    profile: DRAFT04_PROFILE,
    ...over,
  };
}

/** Decodes bytes the way the receiving daemon would; a failure fails the test. */
function onWire<M extends MobilityMessage>(bytes: Uint8Array): M {
  const d = decodeMessage(bytes, DRAFT04_PROFILE);
  if (!d.ok) throw new Error(`undecodable: ${d.error.code} ${d.error.message}`);
  return d.value as M;
}

export class Net {
  readonly ha: HomeAgent;
  readonly cn: CorrespondentNode;
  dropped = 0;

  /** `ha`: the home agent's configuration, or an existing home agent (a reboot keeps it). */
  constructor(readonly mn: Mn, ha: Partial<HomeAgentConfig> | HomeAgent = {}, cnMcoa = true) {
    this.ha = ha instanceof HomeAgent ? ha : new HomeAgent(haConfig(ha));
    this.cn = new CorrespondentNode(
      { maxLifetimeSeconds: 420, mcoaAllowed: cnMcoa, nonceRegenerateSeconds: 30, kcnRotateSeconds: null, profile: DRAFT04_PROFILE },
      seededRandom(99),
      0,
    );
  }

  /** What the peers send back for one action of the mobile node. */
  private answer(a: MnAction): MnEvent[] {
    if (a.kind !== 'send') return [];
    const now = this.mn.now;
    let bytes: Uint8Array = encodeMessage(a.message, DRAFT04_PROFILE).slice();
    if (a.authorization) bytes = sealBindingUpdate(bytes, a.authorization);
    const msg = onWire(bytes);
    // With a Home Address option the receiver sees the home address as source.
    const hoa = a.homeAddressOption ? HOA : a.source;
    if (msg.kind === 'hoti') {
      const hot = this.cn.processHoti({ message: msg, src: formatIp6(HOA), dst: formatIp6(a.destination), nowMs: now });
      return [{ kind: 'homeTest', from: CN, message: onWire(encodeMessage(hot.message, DRAFT04_PROFILE)) }];
    }
    if (msg.kind === 'coti') {
      const cot = this.cn.processCoti({ message: msg, src: formatIp6(a.source), dst: formatIp6(a.destination), nowMs: now });
      return [{ kind: 'careOfTest', from: CN, message: onWire(encodeMessage(cot.message, DRAFT04_PROFILE)) }];
    }
    if (msg.kind !== 'bu') return [];
    // The receiver's socket formats the packet's addresses once (lib/net/receive.ts).
    const received = { bu: msg as BindingUpdate, hoa: formatIp6(hoa), careOfSource: formatIp6(a.source), dst: formatIp6(a.destination), nowMs: now };
    if (ip6Equal(a.destination, HA)) {
      let out = this.ha.processBu({ ...received, ipsecProtected: true });
      if (out.dad) out = { ...out, ...this.ha.dadResult(out.dad.hoa, true) };
      if (!out.ba) {
        this.dropped++;
        return [];
      }
      return [{ kind: 'bindingAck', from: HA, message: onWire(encodeMessage(out.ba.message, DRAFT04_PROFILE)) }];
    }
    const out = this.cn.processBu({ ...received, ipsecProtected: false, rawMh: bytes });
    if (!out.ba) {
      this.dropped++;
      return [];
    }
    const raw = encodeMessage(out.ba.message, DRAFT04_PROFILE).slice();
    const auth = out.ba.authorization;
    if (auth) sealBindingAuthorization(raw, auth.kbm, auth.coa, auth.correspondent);
    return [{ kind: 'bindingAck', from: CN, message: onWire(raw), raw }];
  }

  /**
   * Delivers everything until nobody has anything more to say, letting the clock run to
   * deadlines up to `horizonMs` ahead (rate-limited sends), not to far-off refreshes.
   */
  settle(actions: MnAction[] = this.mn.last.actions, horizonMs = 5000): void {
    const until = this.mn.now + horizonMs;
    let pending = actions;
    for (let i = 0; i < 100; i++) {
      if (!pending.some((a) => a.kind === 'send')) {
        const next = this.mn.last.nextTickMs;
        if (next === null || next > until) return;
        pending = this.mn.at(next);
        continue;
      }
      const next: MnAction[] = [];
      for (const a of pending) for (const ev of this.answer(a)) next.push(...this.mn.send(ev));
      pending = next;
    }
    assert.fail('mobile node and peers did not settle');
  }

  haBindings(): [number, string, boolean][] {
    return this.ha.cache.bindingsOf(formatIp6(HOA)).map((b): [number, string, boolean] => [b.bid, b.coa, b.homeBinding]).sort((a, b) => a[0] - b[0]);
  }

  cnBindings(): [number, string][] {
    return this.cn.cache.bindingsOf(formatIp6(HOA)).map((b): [number, string] => [b.bid, b.coa]).sort((a, b) => a[0] - b[0]);
  }
}
