// Decoded forms of every Mobility Header message and option this project puts on
// the wire (RFC 6275 §6.1, RFC 3963 §4, draft-ietf-monami6-multiplecoa-04 §4.2.1).
// Addresses are 16-byte Uint8Array copies (never views into a receive buffer);
// lifetimes and refresh intervals are in seconds (the wire uses 4-second units).

/** IPv6 next-header value of the Mobility Header. */
export const IPPROTO_MH = 135;
/** Payload Proto of every Mobility Header this project sends (IPPROTO_NONE). */
export const IPPROTO_NONE = 59;

export const MhType = {
  BRR: 0,
  HoTI: 1,
  CoTI: 2,
  HoT: 3,
  CoT: 4,
  BU: 5,
  BA: 6,
  BE: 7,
  /** Home Agent Switch (RFC 5142 §4). */
  HAS: 12,
} as const;
export type MhTypeNumber = (typeof MhType)[keyof typeof MhType];

/** Mobility option type numbers of the base protocols (RFC 6275 §6.2, RFC 3963 §4.3). */
export const OptType = {
  Pad1: 0,
  PadN: 1,
  BindingRefreshAdvice: 2,
  AlternateCoa: 3,
  NonceIndices: 4,
  BindingAuthData: 5,
  MobileNetworkPrefix: 6,
} as const;

export type Ip6Bytes = Uint8Array; // always 16 octets

import type { FlowIdentificationOption, FlowSummaryOption } from './flow/flow-types.js';
export type { FlowIdentificationOption, FlowSummaryOption } from './flow/flow-types.js';

/** Binding Unique Identifier sub-option (draft-04 §4.2.1), independent of wire profile. */
export interface BidOption {
  kind: 'bid';
  /** 1..65535; 0 is reserved. */
  bid: number;
  /** BA status for this binding; 0 means "use the BA's status". */
  status: number;
  /** C: a care-of address follows. */
  c: boolean;
  /** O: overwrite all bindings (home agent only). */
  o: boolean;
  /** H: the mobile node is attached to the home link. */
  h: boolean;
  /** Present exactly when c is true. */
  coa?: Ip6Bytes;
  /**
   * IPv4 care-of address (4 octets): RFC 5648 §4.3's length-8 form, for DSMIPv6 (RFC 5555).
   * Only the rfc5648 profile carries it; c stays false (c means an IPv6 address follows).
   */
  coa4?: Uint8Array;
  /** BID-PRI (RFC 6089 §5.1, the 7 bits after H in RFC 5648's layout); 0 or absent when unused. */
  pri?: number;
}

export type MobilityOption =
  | { kind: 'bindingRefreshAdvice'; intervalSeconds: number }
  | { kind: 'alternateCoa'; address: Ip6Bytes }
  | { kind: 'nonceIndices'; homeNonceIndex: number; careOfNonceIndex: number }
  /** Authenticator is 12 octets (96 bits). Must be the last option. */
  | { kind: 'bindingAuthData'; authenticator: Uint8Array }
  | { kind: 'mobileNetworkPrefix'; prefixLength: number; prefix: Ip6Bytes }
  | BidOption
  /** RFC 6089 §4.1, §4.2 (option types in the wire profile). */
  | FlowSummaryOption
  | FlowIdentificationOption
  /** An option this build does not know: kept as raw bytes, skipped by its length. */
  | { kind: 'unknown'; optionType: number; data: Uint8Array };

export type MobilityOptionKind = MobilityOption['kind'];

export interface BuFlags {
  a: boolean; // acknowledge
  h: boolean; // home registration
  l: boolean; // link-local address compatibility
  k: boolean; // key management mobility capability
  m: boolean; // MAP registration (HMIPv6)
  r: boolean; // mobile router (NEMO)
  p: boolean; // proxy registration
  /**
   * O, overwrite all bindings: RFC 5648 §4.2 moved it from the BID option into the BU's
   * flags. Only a profile with `buOverwriteFlag` reads or writes it; draft-04 keeps O in
   * each BID sub-option.
   */
  o?: boolean;
}

export interface BaFlags {
  k: boolean;
  r: boolean;
  p: boolean;
}

interface MhCommon {
  /** Payload Proto octet; 59 on everything this project sends. */
  payloadProto: number;
  /** Checksum as found on the wire (decode) or 0 (encode computes it when given addresses). */
  checksum: number;
  /** Options in wire order, without Pad1/PadN (the encoder regenerates padding). */
  options: MobilityOption[];
}

export interface BindingRefreshRequest extends MhCommon {
  kind: 'brr';
}
export interface HomeTestInit extends MhCommon {
  kind: 'hoti';
  /** 8 octets. */
  cookie: Uint8Array;
}
export interface CareOfTestInit extends MhCommon {
  kind: 'coti';
  cookie: Uint8Array;
}
export interface HomeTest extends MhCommon {
  kind: 'hot';
  nonceIndex: number;
  cookie: Uint8Array;
  /** 8 octets. */
  keygenToken: Uint8Array;
}
export interface CareOfTest extends MhCommon {
  kind: 'cot';
  nonceIndex: number;
  cookie: Uint8Array;
  keygenToken: Uint8Array;
}
export interface BindingUpdate extends MhCommon {
  kind: 'bu';
  sequence: number;
  flags: BuFlags;
  lifetimeSeconds: number;
}
export interface BindingAck extends MhCommon {
  kind: 'ba';
  status: number;
  flags: BaFlags;
  sequence: number;
  lifetimeSeconds: number;
}
export interface BindingError extends MhCommon {
  kind: 'be';
  /** 1: unknown binding for Home Address option; 2: unrecognized MH type. */
  status: number;
  homeAddress: Ip6Bytes;
}
/** Home Agent Switch (RFC 5142 §4): register with one of these home agents instead. */
export interface HomeAgentSwitch extends MhCommon {
  kind: 'has';
  /** Alternate home agent addresses, most preferred first; empty: run DHAAD. */
  homeAgents: Ip6Bytes[];
}
/** A well-formed header whose MH Type this build does not know (answered with BE status 2). */
export interface UnknownMessage extends MhCommon {
  kind: 'unknown';
  mhType: number;
  body: Uint8Array;
}

export type MobilityMessage =
  | BindingRefreshRequest
  | HomeTestInit
  | CareOfTestInit
  | HomeTest
  | CareOfTest
  | BindingUpdate
  | BindingAck
  | BindingError
  | HomeAgentSwitch
  | UnknownMessage;

export type MessageKind = MobilityMessage['kind'];

export const BindingErrorStatus = {
  UNKNOWN_BINDING_FOR_HAO: 1,
  UNRECOGNIZED_MH_TYPE: 2,
} as const;

/** Binding Acknowledgement status values of RFC 6275 §6.1.8 and RFC 3963 §4.2. */
export const BaStatus = {
  ACCEPTED: 0,
  ACCEPTED_PREFIX_DISCOVERY: 1,
  REASON_UNSPECIFIED: 128,
  ADMINISTRATIVELY_PROHIBITED: 129,
  INSUFFICIENT_RESOURCES: 130,
  HOME_REGISTRATION_NOT_SUPPORTED: 131,
  NOT_HOME_SUBNET: 132,
  NOT_HOME_AGENT_FOR_THIS_MN: 133,
  DAD_FAILED: 134,
  SEQUENCE_OUT_OF_WINDOW: 135,
  EXPIRED_HOME_NONCE_INDEX: 136,
  EXPIRED_CARE_OF_NONCE_INDEX: 137,
  EXPIRED_NONCES: 138,
  REGISTRATION_TYPE_CHANGE_DISALLOWED: 139,
  MR_OPERATION_NOT_PERMITTED: 140,
  INVALID_PREFIX: 141,
  NOT_AUTHORIZED_FOR_PREFIX: 142,
  FORWARDING_SETUP_FAILED: 143,
} as const;

/** Decoding failure codes. Every decoder failure carries one of these and an octet offset. */
export type WireErrorCode =
  | 'TRUNCATED' // buffer shorter than the fixed part it must hold
  | 'BAD_HEADER_LENGTH' // Header Len disagrees with the buffer, or MH not a multiple of 8
  | 'BAD_PAYLOAD_PROTO' // Payload Proto is not 59
  | 'MESSAGE_TOO_SHORT' // message body shorter than its type's fixed part
  | 'OPTION_OVERRUN' // an option's length runs past the end of the message
  | 'BAD_OPTION_LENGTH' // a known option with a length its definition forbids
  | 'BAD_OPTION_VALUE' // a known option with a field value its definition forbids (prefix length > 128)
  | 'BID_BAD_LENGTH' // BID option length not one its profile allows (draft-04: 4/20 matching C; RFC 5648: 4/8/20)
  | 'BID_C_WITHOUT_COA' // C flag set but no care-of address present (length 4)
  | 'BID_ZERO' // BID value 0 (reserved)
  | 'BAD_NOT_LAST'; // Binding Authorization Data followed by another option

/** A message's fixed fields without its options, per kind (so `partial.sequence` type-checks on a BU). */
export type PartialMessage = MobilityMessage extends infer M ? (M extends MobilityMessage ? Omit<M, 'options'> : never) : never;

export interface WireError {
  code: WireErrorCode;
  /** Octet offset from the start of the Mobility Header where the problem was found. */
  offset: number;
  message: string;
  /** The message's fixed part, when it decoded before the failure. */
  partial?: PartialMessage;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: WireError };
