// Decoded forms and numbers of RFC 6089's flow binding options and RFC 6088's binary
// traffic selectors. Numbers are IANA's (Mobility Options registry: 44 and 45; "Flow
// Identification Sub-Options", "Traffic Selector Format" and "Flow Identification Mobility
// Option Status Codes" registries created by RFC 6089 §6).

/** Mobility option type of the Flow Summary option (RFC 6089 §4.1). */
export const FLOW_SUMMARY_OPTION_TYPE = 44;
/** Mobility option type of the Flow Identification option (RFC 6089 §4.2). */
export const FLOW_IDENTIFICATION_OPTION_TYPE = 45;

/** Flow Identification sub-option types (RFC 6089 §4.2.1). */
export const FlowSubOptionType = {
  Pad: 0,
  PadN: 1,
  BindingReference: 2,
  TrafficSelector: 3,
} as const;

/** TS Format of the Traffic Selector sub-option (RFC 6088 §3, RFC 6089 §4.2.1.2). */
export const TsFormat = {
  IPv4Binary: 1,
  IPv6Binary: 2,
} as const;

/** Status of a Flow Identification option in a BA (RFC 6089 §4.2). */
export const FlowStatus = {
  SUCCESS: 0,
  ADMINISTRATIVELY_PROHIBITED: 128,
  REJECTED_UNSPECIFIED: 129,
  OPTION_MALFORMED: 130,
  BID_NOT_FOUND: 131,
  FID_NOT_FOUND: 132,
  TS_FORMAT_NOT_SUPPORTED: 133,
} as const;

export const FLOW_STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'FLOW BINDING SUCCESSFUL'],
  [128, 'ADMINISTRATIVELY PROHIBITED'],
  [129, 'FLOW BINDING REJECTED, REASON UNSPECIFIED'],
  [130, 'FLOW IDENTIFICATION MOBILITY OPTION MALFORMED'],
  [131, 'BID NOT FOUND'],
  [132, 'FID NOT FOUND'],
  [133, 'TRAFFIC SELECTOR FORMAT NOT SUPPORTED'],
]);

/**
 * RFC 6088 §3.2's IPv6 binary traffic selector. A field is present exactly when its flag is
 * set on the wire; an absent field matches anything. Ranges are inclusive, start..end.
 */
export interface Ip6TrafficSelector {
  format: 'ipv6';
  sourceAddressStart?: Uint8Array; // (A) 16 octets
  sourceAddressEnd?: Uint8Array; // (B)
  destinationAddressStart?: Uint8Array; // (C)
  destinationAddressEnd?: Uint8Array; // (D)
  spiStart?: number; // (E) 32 bits
  spiEnd?: number; // (F)
  flowLabelStart?: number; // (G) 20 bits
  flowLabelEnd?: number; // (H)
  sourcePortStart?: number; // (I) 16 bits
  sourcePortEnd?: number; // (J)
  destinationPortStart?: number; // (K)
  destinationPortEnd?: number; // (L)
  trafficClassStart?: number; // (M) 8 bits
  trafficClassEnd?: number; // (N)
  nextHeaderStart?: number; // (O) 8 bits
  nextHeaderEnd?: number; // (P)
}

/** RFC 6088 §3.1's IPv4 binary traffic selector (for DSMIPv6; decoded and shown, refused by the home agent). */
export interface Ip4TrafficSelector {
  format: 'ipv4';
  sourceAddressStart?: Uint8Array; // (A) 4 octets
  sourceAddressEnd?: Uint8Array; // (B)
  destinationAddressStart?: Uint8Array; // (C)
  destinationAddressEnd?: Uint8Array; // (D)
  spiStart?: number; // (E) 32 bits
  spiEnd?: number; // (F)
  sourcePortStart?: number; // (G) 16 bits
  sourcePortEnd?: number; // (H)
  destinationPortStart?: number; // (I)
  destinationPortEnd?: number; // (J)
  dsStart?: number; // (K) 8 bits
  dsEnd?: number; // (L)
  protocolStart?: number; // (M) 8 bits
  protocolEnd?: number; // (N)
}

/** A TS Format this build does not know: kept raw (answered 133 by the home agent). */
export interface RawTrafficSelector {
  format: 'unknown';
  tsFormat: number;
  data: Uint8Array;
}

export type TrafficSelector = Ip6TrafficSelector | Ip4TrafficSelector | RawTrafficSelector;

export type FlowSubOption =
  /** RFC 6089 §4.2.1.1: the BIDs the flow is bound to (none: this build's discard, see README). */
  | { kind: 'bindingReference'; bids: number[] }
  /** RFC 6089 §4.2.1.2. */
  | { kind: 'trafficSelector'; selector: TrafficSelector }
  /** A sub-option type this build does not know, kept raw. */
  | { kind: 'unknownSubOption'; subType: number; data: Uint8Array };

/** Flow Identification mobility option (RFC 6089 §4.2). */
export interface FlowIdentificationOption {
  kind: 'flowIdentification';
  /** Flow identifier, 16 bits, unique per mobile node. */
  fid: number;
  /** Flow priority, 16 bits: lower values are matched first. */
  fidPri: number;
  /** 0 in a BU; the flow status in a BA (FlowStatus). */
  status: number;
  subOptions: FlowSubOption[];
}

/** Flow Summary mobility option (RFC 6089 §4.1): FIDs refreshed as they are. */
export interface FlowSummaryOption {
  kind: 'flowSummary';
  fids: number[];
}
