// Building Binding Acknowledgements, and the rules for when one is sent.
import { BaStatus, IPPROTO_NONE, type BidOption, type BindingAck, type BindingUpdate } from '../../wire/types.js';
import { replyBid } from './bu-options.js';
import type { BidStatus } from './outcome.js';

export function bindingAck(
  status: number,
  sequence: number,
  lifetimeSeconds: number,
  flags: { k: boolean; r: boolean },
  options: BindingAck['options'] = [],
): BindingAck {
  return {
    kind: 'ba',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    status,
    flags: { k: flags.k, r: flags.r, p: false },
    sequence,
    lifetimeSeconds,
    options,
  };
}

export function isAccepted(status: number): boolean {
  return status < 128;
}

/**
 * RFC 6275 §9.5.4, correspondent node: a BA is sent when the A bit is set, and regardless of
 * it when the BU is rejected for an expired nonce index (136-138), a sequence number out of
 * window (135) or insufficient resources (130); §10.3.1 adds 131 to a node that is not a
 * home agent ("MUST also return a Binding Acknowledgement").
 * (A home agent answers every home registration it does not silently discard: §10.3.1
 * "Regardless of the setting of the Acknowledge (A) bit ... MUST return a Binding
 * Acknowledgement", §10.3.2 likewise, and "SHOULD return" for its rejections.)
 */
export function correspondentSendsAck(bu: BindingUpdate, status: number): boolean {
  if (bu.flags.a) return true;
  return (
    status === BaStatus.SEQUENCE_OUT_OF_WINDOW ||
    status === BaStatus.EXPIRED_HOME_NONCE_INDEX ||
    status === BaStatus.EXPIRED_CARE_OF_NONCE_INDEX ||
    status === BaStatus.EXPIRED_NONCES ||
    status === BaStatus.INSUFFICIENT_RESOURCES ||
    status === BaStatus.HOME_REGISTRATION_NOT_SUPPORTED
  );
}

/**
 * Overall and per-sub-option statuses of a BU with BID sub-options (draft-04 §6.3): a
 * status specific to one binding goes in its sub-option; the BA's field holds the overall
 * one. If any binding was accepted the overall status is success (or MCOA BID CONFLICT when
 * a regular binding was replaced; or `partialStatus`, RFC 5648's MCOA NOTCOMPLETE, when
 * others were refused); otherwise it is the first binding's error. A sub-option
 * whose status equals the overall one carries 0 ("use the BA's status", §4.2.1).
 */
export function composeStatuses(
  subs: readonly BidOption[],
  perBid: readonly number[],
  conflictStatus: number | null,
  partialStatus: number | null = null,
): { overall: number; options: BidOption[]; statuses: BidStatus[] } {
  const anyAccepted = perBid.some(isAccepted);
  // RFC 5648 §6.2 (partialStatus = MCOA NOTCOMPLETE): some BIDs accepted, some refused.
  const partial = partialStatus !== null && anyAccepted && !perBid.every(isAccepted);
  const overall = partial ? partialStatus : anyAccepted ? (conflictStatus ?? BaStatus.ACCEPTED) : (perBid[0] ?? BaStatus.REASON_UNSPECIFIED);
  const options: BidOption[] = [];
  const statuses: BidStatus[] = [];
  subs.forEach((s, i) => {
    const st = perBid[i] ?? overall;
    const own = isAccepted(st) || st === overall ? 0 : st;
    options.push(replyBid(s, own));
    statuses.push({ bid: s.bid, status: own === 0 ? overall : own });
  });
  return { overall, options, statuses };
}

/** Every BID sub-option copied back with status 0: the BA's own status applies to all. */
export function uniformReply(subs: readonly BidOption[], status: number): { options: BidOption[]; statuses: BidStatus[] } {
  return {
    options: subs.map((s) => replyBid(s, 0)),
    statuses: subs.length ? subs.map((s) => ({ bid: s.bid, status })) : [{ bid: 0, status }],
  };
}
