// What the protocol core hands back to its caller: messages to send, cache changes as
// events, requests for work it cannot do itself (DAD), and refusals worth a log line.
import type { BindingAck, BindingUpdate, Ip6Bytes, WireError } from '../../wire/types.js';
import type { Ip6 } from '../../inet/ip6.js';
import type { Binding } from './binding.js';
import type { LimitName } from '../ha/limits.js';

export type ChangeReason =
  | 'registered' // a new binding
  | 'refreshed' // an existing (hoa, bid) updated by a BU
  | 'home-binding' // draft-04 §5.5: the H flag turned or made it a home binding
  | 'deregistered' // lifetime 0, or care-of address = home address
  | 'replaced-by-regular' // a BU without BID replaced every binding (§6.3 first paragraph)
  | 'overwritten' // O flag (§6.3)
  | 'bid-conflict' // a regular binding replaced by a BID binding (MCOA BID CONFLICT)
  | 'expired'
  | 'dad-failed'
  | 'dad-succeeded'
  | 'administrative' // removed by the operator (mcoactl del binding / flush)
  | 'replicated'; // cluster mode: another node's record for the home address, applied

export type CacheEvent =
  | { type: 'added'; binding: Binding; reason: ChangeReason }
  | { type: 'updated'; binding: Binding; previous: Binding; reason: ChangeReason }
  | { type: 'removed'; binding: Binding; reason: ChangeReason };

/** A Mobility Header message to send and where. */
export interface Outgoing<M> {
  message: M;
  src: Ip6;
  /** IPv6 destination: a care-of address (then homeAddress is set) or the home address. */
  dst: Ip6;
  /** Home address for a type 2 routing header; null when dst is the home address itself. */
  homeAddress: Ip6 | null;
  /**
   * Correspondent node only: the message ends with a Binding Authorization Data option whose
   * authenticator must be computed over the encoded bytes (rr.ts sealBindingAuthorization),
   * the care-of and correspondent addresses as octets (the hash's input, RFC 6275 §5.2.6).
   */
  authorization?: { kbm: Uint8Array; coa: Ip6Bytes; correspondent: Ip6Bytes };
}

/** Status of one binding of a BU, for logs: bid 0 is the regular binding. */
export interface BidStatus {
  bid: number;
  status: number;
}

/** RFC 6275 §10.3.1: DAD on the home link before the first binding of a home address. */
export interface DadRequest {
  hoa: Ip6;
  /** The home address, plus its link-local form when the L flag was set. */
  addresses: Ip6[];
  interface: string;
}

export type RefusalReason =
  | 'ipsec-required' // RFC 6275 §5.1/§10.3.1: home registrations must arrive under ESP
  | 'home-address-not-routable' // RFC 6275 §9.5.1
  | 'malformed' // a decode error that gets no BA
  | 'nonce-indices-missing' // RFC 6275 §9.5.1, correspondent node
  | 'authorization-data-missing'
  | 'authenticator-mismatch';

export interface Refusal {
  reason: RefusalReason;
  hoa: Ip6;
  detail?: string;
}

export interface BuOutcome {
  /** Overall status (the BA's Status field), also when no BA is sent. */
  status: number;
  statuses: BidStatus[];
  ba: Outgoing<BindingAck> | null;
  events: CacheEvent[];
  dad: DadRequest | null;
  /** Set when the BU was silently discarded: nothing sent, nothing changed. */
  refusal: Refusal | null;
  /** The BA is held until the DAD result (HomeAgent.dadResult). */
  baDeferred: boolean;
  /** Home agent: the configured cap that made this a 130 (proto/ha/limits.ts). */
  limit?: LimitName;
}

/** A received Binding Update with the addresses of the packet that carried it. */
export interface ReceivedBu {
  bu: BindingUpdate;
  /** Home address: the source after the kernel swapped in the Home Address option. */
  hoa: Ip6;
  /** The packet's real source, i.e. the address that was in the Home Address option. */
  careOfSource: Ip6;
  /** Destination of the packet (this node's address). */
  dst: Ip6;
  /**
   * Cluster shares: the service address the BU was sent to (its `dst`), which the home address
   * then registers with; absent (a single home agent): the configured home agent address.
   */
  serviceAddress?: Ip6;
  ipsecProtected: boolean;
  nowMs: number;
}

/** A BU the codec could not decode, with the addresses of its packet. */
export interface UndecodableBu extends Omit<ReceivedBu, 'bu'> {
  error: WireError;
}

export function emptyOutcome(status = 0): BuOutcome {
  return { status, statuses: [], ba: null, events: [], dad: null, refusal: null, baDeferred: false };
}
