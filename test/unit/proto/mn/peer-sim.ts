// A peer simulator for the mobile node tests: answers what the mobile node sends the way a
// home agent and a correspondent would, computing keygen tokens, Kbm and authenticators on
// its own side with lib/proto/common/rr-crypto.ts and the lib/wire codec.
import { encodeMessage } from '../../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../../lib/wire/profiles.js';
import { ip6Equal } from '../../../../lib/inet/ip6.js';
import {
  bindingManagementKey,
  careOfKeygenToken,
  homeKeygenToken,
  sealBindingAuthorization,
  verifyBindingAuthorization,
} from '../../../../lib/proto/common/rr-crypto.js';
import { sealBindingUpdate } from '../../../../lib/proto/mn/index.js';
import type { MnAction, MnEvent } from '../../../../lib/proto/mn/index.js';
import { ackFor, cot, hot, HOA, type AckOptions, type Mn } from './harness.js';

export class PeerSim {
  readonly kcn = new Uint8Array(20).fill(0x5a);
  readonly nonce = new Uint8Array(8).fill(0x33);
  /** The correspondent echoes BID sub-options (does MCoA). */
  cnMcoa = true;
  /** BUs to correspondents whose authenticator failed to verify. */
  badAuth = 0;

  homeToken(): Uint8Array {
    return homeKeygenToken(this.kcn, HOA, this.nonce);
  }
  careOfToken(coa: Uint8Array): Uint8Array {
    return careOfKeygenToken(this.kcn, coa, this.nonce);
  }

  /** The event answering one send action, or null for actions a peer would not answer. */
  answer(a: MnAction, ack: AckOptions = {}): MnEvent | null {
    if (a.kind !== 'send') return null;
    const m = a.message;
    if (m.kind === 'hoti') return { kind: 'homeTest', from: a.destination, message: hot(m, this.homeToken(), 7) };
    if (m.kind === 'coti') return { kind: 'careOfTest', from: a.destination, message: cot(m, this.careOfToken(a.source), 9, this.cnMcoa) };
    if (m.kind !== 'bu') return null;
    if (!a.authorization) return { kind: 'bindingAck', from: a.destination, message: ackFor(m, ack) };
    // Correspondent: verify the sealed BU with our own Kbm, answer with an authenticated BA.
    // RFC 6275 §9.5.1: a de-registration (lifetime 0 or from home) uses the home token alone.
    const homeOnly = ip6Equal(a.source, HOA) || m.lifetimeSeconds === 0;
    const kbm = bindingManagementKey(this.homeToken(), homeOnly ? null : this.careOfToken(a.source));
    const wire = sealBindingUpdate(encodeMessage(m, DRAFT04_PROFILE), a.authorization);
    if (!verifyBindingAuthorization(wire, kbm, a.source, a.destination)) this.badAuth++;
    const ba = ackFor(m, { withBids: this.cnMcoa, lifetime: Math.min(m.lifetimeSeconds, 420), ...ack, options: [{ kind: 'bindingAuthData', authenticator: new Uint8Array(12) }] });
    const raw = encodeMessage(ba, DRAFT04_PROFILE).slice();
    sealBindingAuthorization(raw, kbm, a.source, a.destination);
    return { kind: 'bindingAck', from: a.destination, message: ba, raw };
  }

  /** Answers everything, round after round, until the mobile node sends nothing more. */
  settle(mn: Mn, actions: MnAction[] = mn.last.actions, rounds = 20): void {
    let pending = actions;
    for (let i = 0; i < rounds; i++) {
      const answers = pending.map((a) => this.answer(a)).filter((e): e is MnEvent => e !== null);
      if (answers.length === 0) return;
      pending = [];
      for (const ev of answers) pending.push(...mn.send(ev));
    }
    throw new Error('peers and mobile node did not settle');
  }
}
