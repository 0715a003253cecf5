// Public shapes of the mobile node core: its configuration, the events the daemon feeds
// it and the actions it hands back. Everything is plain data; the core never performs I/O.
import type { Ip6 } from '../../inet/ip6.js';
import type { MnFlow } from './flows.js';
import type {
  BindingAck,
  BindingError,
  BindingRefreshRequest,
  BindingUpdate,
  CareOfTest,
  CareOfTestInit,
  HomeTest,
  HomeTestInit,
  Ip6Bytes,
} from '../../wire/types.js';
import type { McoaStatusNumbers } from '../../wire/profile.js';

/**
 * What to do when an interface attaches to the home link (draft-04 §5.5, Appendix A):
 * 'return-home' de-registers every binding at the home agent (Figure 7, 9);
 * 'disable-home-interface' disables that interface and de-registers its BID from a
 * foreign interface (Figure 8); 'h-flag' keeps home and foreign interfaces in use, the
 * home one registered with the H flag next to the foreign care-of addresses (§5.5).
 */
export type HomeLinkPolicy = 'return-home' | 'disable-home-interface' | 'h-flag';

export interface MobileRouterConfig {
  /** Mobile Network Prefix options put in home registrations (RFC 3963 explicit mode). */
  prefixes: { prefix: Ip6Bytes; length: number }[];
}

export interface MnConfig {
  homeAddress: Ip6Bytes;
  homeAgent: Ip6Bytes;
  /** Correspondent nodes to run route optimisation with. */
  correspondents?: Ip6Bytes[];
  /** The wire profile's MCoA status numbers (`profile.status`). */
  status: McoaStatusNumbers;
  /** Register with BIDs (default true); false is plain RFC 6275 with one binding. */
  multipleCoa?: boolean;
  /** Give a lone care-of address a BID too (default true); false registers it the base way. */
  bidForSingleCoa?: boolean;
  /** Bulk registration to the home agent (default true). */
  bulk?: boolean;
  /** Most BID sub-options in one bulk Binding Update (default 16). */
  maxBulkBindings?: number;
  /** Binding Updates to the home agent are ESP-protected (default true): CoA goes in the sub-option. */
  esp?: boolean;
  /** O flag on the first MCoA registration to the home agent (default true, §5.9). */
  bootstrapOverwrite?: boolean;
  /** Flush a correspondent with a regular de-registration before the first MCoA one (default true, §5.9). */
  correspondentFlush?: boolean;
  /** On MCOA BID CONFLICT: re-register with the O flag, or give up BIDs (default 'overwrite'). */
  bidConflict?: 'overwrite' | 'stop-bids';
  homeLinkPolicy?: HomeLinkPolicy;
  /** Requested home registration lifetime in seconds (default 3600). */
  homeLifetimeSeconds?: number;
  /** Requested correspondent lifetime in seconds (default and maximum 420). */
  correspondentLifetimeSeconds?: number;
  /** Refresh when this fraction of the granted lifetime has passed (default 0.85). */
  refreshFraction?: number;
  /** Wait this long after a change before sending, so changes close together share a bulk BU (default 0). */
  coalesceMs?: number;
  /** Interfaces in order of preference for the primary care-of address and bulk source. */
  preferredInterfaces?: string[];
  /** K flag in home registrations. */
  keyManagement?: boolean;
  /** Set for a NEMO mobile router: R flag and Mobile Network Prefix options. */
  mobileRouter?: MobileRouterConfig;
  /** RFC 6089 flow bindings sent in registrations to the home agent (flows.ts). */
  flows?: MnFlow[];
}

export type OperatorCommand =
  /** Stop registering this interface's binding (de-register its BID). */
  | { op: 'deregister'; iface: string }
  /** Undo 'deregister': register the interface again. */
  | { op: 'register'; iface: string }
  /** De-register everything with one regular Binding Update per peer and stay quiet (§5.5). */
  | { op: 'deregisterAll' }
  /** Undo 'deregisterAll'. */
  | { op: 'resume' }
  | { op: 'setBulk'; enabled: boolean }
  | { op: 'setHomeLinkPolicy'; policy: HomeLinkPolicy }
  /** New RFC 6089 flows (a reload): every registration to the home agent is sent again with them. */
  | { op: 'setFlows'; flows: MnFlow[] }
  | { op: 'addCorrespondent'; address: Ip6Bytes }
  | { op: 'removeCorrespondent'; address: Ip6Bytes }
  /** The interface is gone for good: de-register it and release its BID. */
  | { op: 'forgetInterface'; iface: string };

export type MnEvent =
  /** Sent once after the initial interface state has been fed in; nothing is sent before. */
  | { kind: 'start' }
  /** A care-of address appeared or changed on an interface (address), or vanished (null). */
  | { kind: 'careOfAddress'; iface: string; address: Ip6Bytes | null }
  /** An interface attached to (true) or left (false) the home link. */
  | { kind: 'homeLink'; iface: string; attached: boolean }
  /** `raw` is the received Mobility Header; needed to verify a correspondent's authenticator. */
  | { kind: 'bindingAck'; from: Ip6Bytes; message: BindingAck; raw?: Uint8Array }
  | { kind: 'bindingRefreshRequest'; from: Ip6Bytes; message: BindingRefreshRequest }
  | { kind: 'bindingError'; from: Ip6Bytes; message: BindingError }
  | { kind: 'homeTest'; from: Ip6Bytes; message: HomeTest }
  | { kind: 'careOfTest'; from: Ip6Bytes; message: CareOfTest }
  | { kind: 'tick' }
  | { kind: 'operator'; command: OperatorCommand }
  /** Mobile Prefix Discovery learned when the home address's valid lifetime ends (null: infinite or unknown). */
  | { kind: 'homeAddressLifetime'; validUntilMs: number | null };

/** What the daemon needs to fill in a Binding Authorization Data option (see sealBindingUpdate). */
export interface BindingAuthorization {
  /** Kbm, 20 octets. */
  kbm: Uint8Array;
  /** The care-of address the authenticator covers (the packet's source, or the home address from home). */
  careOfAddress: Ip6Bytes;
  correspondent: Ip6Bytes;
}

export interface SendAction {
  kind: 'send';
  message: BindingUpdate | HomeTestInit | CareOfTestInit;
  destination: Ip6Bytes;
  source: Ip6Bytes;
  /** Egress interface; null lets routing choose (reverse-tunnelled messages). */
  iface: string | null;
  /** Add a Home Address destination option carrying the home address. */
  homeAddressOption: boolean;
  /** Send through the bidirectional tunnel to the home agent (HoTI, RFC 6275 §5.2.5). */
  reverseTunnel: boolean;
  /**
   * Set on Binding Updates to correspondents: the message holds a zero authenticator that
   * the daemon replaces after encoding, with sealBindingUpdate(), before the checksum.
   */
  authorization: BindingAuthorization | null;
}

export interface InterfaceAction {
  kind: 'interface';
  iface: string;
  /**
   * 'disable': bring the interface down (Figure 8); 'enable': bring it back (no foreign
   * interface is left, or it left the home link). 'useHomeAddress': the home agent no
   * longer defends the home address, so the interface may use it on the home link.
   * 'releaseHomeAddress': stop using it there (the interface left the home link).
   */
  op: 'disable' | 'enable' | 'useHomeAddress' | 'releaseHomeAddress';
}

export type BulState = 'pending' | 'registered' | 'deregistering' | 'failed';

/** One Binding Update List entry as the daemon and the CLI see it. */
export interface BulView {
  peer: Ip6;
  role: 'ha' | 'cn';
  /** null for a regular (base protocol) binding or a de-register-all. */
  bid: number | null;
  iface: string | null;
  careOf: Ip6 | null;
  homeBinding: boolean;
  state: BulState;
  sequence: number | null;
  lifetimeSeconds: number | null;
  expiresAtMs: number | null;
  failedStatus: number | null;
  /** Binding Updates sent since the last Binding Acknowledgement for this entry (absent: 0). */
  unansweredSends?: number;
}

export interface BulChange {
  kind: 'bul';
  change: 'add' | 'update' | 'remove';
  entry: BulView;
}

export type LogField = string | number | boolean | null;

export interface LogAction {
  kind: 'log';
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, LogField>;
}

export type MnAction = SendAction | InterfaceAction | BulChange | LogAction;

export interface MnOutput {
  actions: MnAction[];
  /** When to deliver the next 'tick' event; null when nothing is timed. */
  nextTickMs: number | null;
}

/** Randomness the core needs (cookies, the initial sequence number), passed in. */
export interface MnDeps {
  randomBytes(n: number): Uint8Array;
}
