// Building the Binding Updates, HoTIs and CoTIs the mobile node sends (RFC 6275 §6.1.7,
// §6.1.3, §6.1.4; draft-04 §4.2.1, §5.2-§5.5). Pure constructors of lib/wire values.
import {
  IPPROTO_NONE,
  type BidOption,
  type BindingUpdate,
  type CareOfTestInit,
  type HomeTestInit,
  type Ip6Bytes,
  type MobilityOption,
} from '../../wire/types.js';
import type { ResolvedConfig } from './resolved-config.js';

export function bidSubOption(
  bid: number,
  flags: { c: boolean; o: boolean; h: boolean },
  coa: Ip6Bytes | null,
): BidOption {
  const opt: BidOption = { kind: 'bid', bid, status: 0, c: flags.c, o: flags.o, h: flags.h };
  if (flags.c) {
    if (!coa) throw new TypeError(`BID ${bid}: C flag without a care-of address`);
    opt.coa = coa;
  }
  return opt;
}

export interface HomeBuParams {
  seq: number;
  lifetimeS: number;
  /** BID sub-options in BID order; empty for a regular Binding Update. */
  subOptions: BidOption[];
  /** Alternate Care-of Address option (regular BUs under ESP only, draft-04 §5.3). */
  alternateCoa: Ip6Bytes | null;
  /** RFC 6089 Flow Identification options (flows.ts); empty without flows. */
  flowOptions?: MobilityOption[];
}

/** A home registration: A and H set, K and R from the configuration (RFC 6275 §11.7.1). */
export function homeBindingUpdate(cfg: ResolvedConfig, p: HomeBuParams): BindingUpdate {
  const options: MobilityOption[] = [...p.subOptions];
  if (p.alternateCoa) options.push({ kind: 'alternateCoa', address: p.alternateCoa });
  if (p.flowOptions) options.push(...p.flowOptions);
  if (cfg.mobileRouter && p.lifetimeS > 0) {
    for (const pr of cfg.mobileRouter.prefixes) {
      options.push({ kind: 'mobileNetworkPrefix', prefixLength: pr.length, prefix: pr.prefix });
    }
  }
  return {
    kind: 'bu',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    sequence: p.seq,
    flags: { a: true, h: true, l: false, k: cfg.keyManagement, m: false, r: cfg.mobileRouter !== null, p: false },
    lifetimeSeconds: p.lifetimeS,
    options,
  };
}

export interface CorrespondentBuParams {
  seq: number;
  lifetimeS: number;
  /** BID for the sub-option (no flags: C, O and H are for the home agent only); null for a regular BU. */
  bid: number | null;
  homeNonceIndex: number;
  careOfNonceIndex: number;
}

/**
 * A Binding Update to a correspondent: BID sub-option, Nonce Indices, then Binding
 * Authorization Data last (draft-04 §5.3) with a zero authenticator for sealBindingUpdate.
 */
export function correspondentBindingUpdate(p: CorrespondentBuParams): BindingUpdate {
  const options: MobilityOption[] = [];
  if (p.bid !== null) options.push(bidSubOption(p.bid, { c: false, o: false, h: false }, null));
  options.push({ kind: 'nonceIndices', homeNonceIndex: p.homeNonceIndex, careOfNonceIndex: p.careOfNonceIndex });
  options.push({ kind: 'bindingAuthData', authenticator: new Uint8Array(12) });
  return {
    kind: 'bu',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    sequence: p.seq,
    flags: { a: true, h: false, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds: p.lifetimeS,
    options,
  };
}

export function homeTestInit(cookie: Uint8Array): HomeTestInit {
  return { kind: 'hoti', payloadProto: IPPROTO_NONE, checksum: 0, cookie, options: [] };
}

/** A CoTI; with a BID, the sub-option carries no flags (draft-04 §5.2). */
export function careOfTestInit(cookie: Uint8Array, bid: number | null): CareOfTestInit {
  const options: MobilityOption[] = bid === null ? [] : [bidSubOption(bid, { c: false, o: false, h: false }, null)];
  return { kind: 'coti', payloadProto: IPPROTO_NONE, checksum: 0, cookie, options };
}
