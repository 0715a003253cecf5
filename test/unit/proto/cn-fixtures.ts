// Correspondent node helpers for tests: a deterministic node, the HoTI/CoTI exchange and
// BUs encoded, sealed with Kbm and decoded again, as a mobile node would send them.
import { ip6 } from '../../ip6.js';
import assert from 'node:assert/strict';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import type { WireProfile } from '../../../lib/wire/profile.js';
import { IPPROTO_NONE, type MobilityOption } from '../../../lib/wire/types.js';
import { correspondentConfig, type CorrespondentConfig } from '../../../lib/proto/common/core-config.js';
import { CorrespondentNode, type ReceivedCnBu } from '../../../lib/proto/cn/correspondent.js';
import { bindingManagementKey, sealBindingAuthorization } from '../../../lib/proto/common/rr-crypto.js';
import { CN, COA1, HOA, makeBu, type BuSpec } from './fixtures.js';
import { counterRandom } from './random.js';

export const cookie = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

export function newCn(over: Partial<CorrespondentConfig> = {}): CorrespondentNode {
  return new CorrespondentNode(correspondentConfig(over), counterRandom(7), 0);
}

/** HoTI/CoTI exchange as a mobile node would run it; returns tokens and nonce indices. */
export function returnRoutability(cn: CorrespondentNode, coa: string, nowMs: number, cotiOptions: MobilityOption[] = [], hoa: string = HOA) {
  const hot = cn.processHoti({ message: { kind: 'hoti', payloadProto: IPPROTO_NONE, checksum: 0, cookie, options: [] }, src: ip6(hoa), dst: ip6(CN), nowMs });
  const cot = cn.processCoti({ message: { kind: 'coti', payloadProto: IPPROTO_NONE, checksum: 0, cookie, options: cotiOptions }, src: ip6(coa), dst: ip6(CN), nowMs });
  return { hot: hot.message, cot: cot.message };
}

export interface CnBuSpec extends BuSpec {
  coa?: string;
  /** The home address (default HOA). */
  hoa?: string;
  nowMs?: number;
  rr?: ReturnType<typeof returnRoutability>;
  /** Changes the encoded BU after sealing (tests that the authenticator covers it). */
  tamper?: (mh: Uint8Array) => void;
  omit?: 'nonceIndices' | 'bindingAuthData';
  /** Wire profile to encode and decode with (default draft-04). */
  profile?: WireProfile;
}

/** A BU with Nonce Indices and Binding Authorization Data, encoded, sealed and decoded. */
export function sealedBu(cn: CorrespondentNode, s: CnBuSpec): ReceivedCnBu {
  const coa = s.coa ?? COA1;
  const hoa = s.hoa ?? HOA;
  const nowMs = s.nowMs ?? 0;
  const rr = s.rr ?? returnRoutability(cn, coa, nowMs, [], hoa);
  const alt = (s.options ?? []).find((o) => o.kind === 'alternateCoa');
  const boundCoa = alt && alt.kind === 'alternateCoa' ? alt.address : mustParseIp6(coa);
  const dereg = s.lifetime === 0 || boundCoa.every((x, i) => x === mustParseIp6(hoa)[i]);
  const kbm = bindingManagementKey(rr.hot.keygenToken, dereg ? null : rr.cot.keygenToken);
  const options: MobilityOption[] = [...(s.options ?? [])];
  if (s.omit !== 'nonceIndices') options.push({ kind: 'nonceIndices', homeNonceIndex: rr.hot.nonceIndex, careOfNonceIndex: rr.cot.nonceIndex });
  if (s.omit !== 'bindingAuthData') options.push({ kind: 'bindingAuthData', authenticator: new Uint8Array(12) });
  const profile = s.profile ?? DRAFT04_PROFILE;
  const raw = Uint8Array.from(encodeMessage(makeBu({ h: false, ...s, options }), profile));
  if (s.omit !== 'bindingAuthData') assert.ok(sealBindingAuthorization(raw, kbm, boundCoa, mustParseIp6(CN)));
  s.tamper?.(raw);
  const d = decodeMessage(raw, profile);
  assert.ok(d.ok && d.value.kind === 'bu');
  return { bu: d.value, rawMh: raw, hoa: ip6(hoa), careOfSource: ip6(coa), dst: ip6(CN), ipsecProtected: false, nowMs };
}

