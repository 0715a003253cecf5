// A correspondent node's answers to HoTI and CoTI (RFC 6275 §9.4.1-9.4.4, draft-04 §6.2).
import { IPPROTO_NONE, type CareOfTest, type CareOfTestInit, type HomeTest, type HomeTestInit, type Ip6Bytes } from '../../wire/types.js';
import type { Ip6 } from '../../inet/ip6.js';
import { ip6Octets } from '../../inet/ip6-write.js';
import type { McoaStatusNumbers } from '../../wire/profile.js';
import { bidOptions, replyBid } from '../common/bu-options.js';
import type { NonceTable } from './nonce.js';
import type { Outgoing } from '../common/outcome.js';
import { careOfKeygenToken, homeKeygenToken, KEYGEN_TOKEN_LENGTH } from '../common/rr-crypto.js';

export interface ReceivedTestInit<M> {
  message: M;
  /** Source of the packet: the home address (HoTI, via the home agent) or care-of address. */
  src: Ip6;
  dst: Ip6;
  nowMs: number;
}

/** HoTI -> HoT: home keygen token over the HoTI's source with the current nonce. */
export function answerHoti(nonces: NonceTable, input: ReceivedTestInit<HomeTestInit>): Outgoing<HomeTest> {
  const n = nonces.current(input.nowMs);
  return {
    message: {
      kind: 'hot',
      payloadProto: IPPROTO_NONE,
      checksum: 0,
      nonceIndex: n.index,
      cookie: Uint8Array.from(input.message.cookie),
      keygenToken: homeKeygenToken(n.kcn, ip6Octets(input.src), n.nonce),
      options: [],
    },
    src: input.dst,
    dst: input.src,
    homeAddress: null,
  };
}

/**
 * CoTI -> CoT (§6.2). With a BID sub-option the CoT carries a copy (care-of address
 * omitted) with status 0; if C or O is set no token is computed (the field is zero) and the
 * copy says MCOA INCOMPLIANT. A node configured without MCoA ignores the sub-option, which
 * tells the mobile node not to use BIDs with it (§5.2).
 */
export function answerCoti(
  nonces: NonceTable,
  input: ReceivedTestInit<CareOfTestInit>,
  mcoa: { allowed: boolean; status: McoaStatusNumbers },
): Outgoing<CareOfTest> {
  const n = nonces.current(input.nowMs);
  const subs = mcoa.allowed ? bidOptions(input.message.options) : [];
  const incompliant = subs.some((s) => s.c || s.o);
  return {
    message: {
      kind: 'cot',
      payloadProto: IPPROTO_NONE,
      checksum: 0,
      nonceIndex: n.index,
      cookie: Uint8Array.from(input.message.cookie),
      keygenToken: incompliant ? new Uint8Array(KEYGEN_TOKEN_LENGTH) : careOfKeygenToken(n.kcn, ip6Octets(input.src), n.nonce),
      options: subs.map((s) => replyBid(s, s.c || s.o ? mcoa.status.incompliant : 0)),
    },
    src: input.dst,
    dst: input.src,
    homeAddress: null,
  };
}
