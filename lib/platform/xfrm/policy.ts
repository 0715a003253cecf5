// XFRM policies (NEWPOLICY / UPDPOLICY / DELPOLICY / GETPOLICY).
// A policy is identified by the kernel as selector + direction + type (+ mark).
import { AttrSet, NetlinkParseError, need, rdBe32, rdU16, rdU32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { formatIp6, IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import {
  AF_INET6,
  XFRMA_POLICY_TYPE,
  XFRMA_TMPL,
  XFRM_MSG_DELPOLICY,
  XFRM_MSG_GETPOLICY,
  XFRM_MSG_NEWPOLICY,
  XFRM_MSG_UPDPOLICY,
  XFRM_POLICY_ALLOW,
  XFRM_POLICY_BLOCK,
  XFRM_POLICY_FWD,
  XFRM_POLICY_IN,
  XFRM_POLICY_OUT,
  XFRM_POLICY_TYPE_MAIN,
  XFRM_POLICY_TYPE_SUB,
  XFRM_USERPOLICY_INFO_SIZE,
  XFRM_USERPOLICY_TYPE_SIZE,
  XFRM_USER_TMPL_SIZE,
} from './xfrm-constants.js';
import { readMark, readSelector, writeLifetimeCfgInfinite, writeMark, writeSelector, type XfrmMark, type XfrmSelector } from './structs.js';

export type XfrmDir = 'in' | 'out' | 'fwd';
export type XfrmPolicyType = 'main' | 'sub';

const DIR = { in: XFRM_POLICY_IN, out: XFRM_POLICY_OUT, fwd: XFRM_POLICY_FWD } as const;
const DIR_NAME: Record<number, XfrmDir> = { [XFRM_POLICY_IN]: 'in', [XFRM_POLICY_OUT]: 'out', [XFRM_POLICY_FWD]: 'fwd' };

/**
 * struct xfrm_user_tmpl (64): id { daddr @0, spi be32 @16, proto u8 @20 },
 * family u16 @24, saddr @28, reqid u32 @44, mode u8 @48, share u8 @49,
 * optional u8 @50, aalgos u32 @52, ealgos u32 @56, calgos u32 @60.
 */
export interface XfrmTemplate {
  /** IPPROTO_ESP 50, IPPROTO_DSTOPTS 60 (hao), IPPROTO_ROUTING 43 (route2), ... */
  proto: number;
  /** XFRM_MODE_*. */
  mode: number;
  src?: Ip6;
  dst?: Ip6;
  spi?: number;
  reqid?: number;
  /** `level use`: the template may be skipped when no state matches. */
  optional?: boolean;
  share?: number;
}

export interface XfrmPolicy {
  selector: XfrmSelector;
  dir: XfrmDir;
  priority: number;
  action?: 'allow' | 'block';
  /** The kernel's index (decoded; may be given to delete by index). */
  index?: number;
  /** XFRMA_POLICY_TYPE; 'main' by default. */
  type?: XfrmPolicyType;
  templates: XfrmTemplate[];
  mark?: XfrmMark;
}

export interface XfrmPolicyKey {
  selector: XfrmSelector;
  dir: XfrmDir;
  type?: XfrmPolicyType;
  mark?: XfrmMark;
  index?: number;
}

const w = new NlWriter(2048);

function writeType(t: XfrmPolicyType | undefined): void {
  const b = new Uint8Array(XFRM_USERPOLICY_TYPE_SIZE);
  b[0] = t === 'sub' ? XFRM_POLICY_TYPE_SUB : XFRM_POLICY_TYPE_MAIN;
  w.attrBytes(XFRMA_POLICY_TYPE, b);
}

function writeTemplates(ts: readonly XfrmTemplate[]): void {
  if (ts.length === 0) return;
  const at = w.beginNest(XFRMA_TMPL, false);
  for (const t of ts) {
    w.ip6(t.dst ?? IP6_UNSPECIFIED)
      .be32(t.spi ?? 0)
      .u8(t.proto)
      .zeros(3)
      .u16(AF_INET6)
      .zeros(2)
      .ip6(t.src ?? IP6_UNSPECIFIED)
      .u32(t.reqid ?? 0)
      .u8(t.mode)
      .u8(t.share ?? 0)
      .u8(t.optional ? 1 : 0)
      .u8(0)
      .u32(0xffffffff) // aalgos: any
      .u32(0xffffffff) // ealgos
      .u32(0xffffffff); // calgos
  }
  w.endNest(at);
}

/* struct xfrm_userpolicy_info (168): sel @0, lft @56, curlft @120, priority u32 @152,
   index u32 @156, dir u8 @160, action u8 @161, flags u8 @162, share u8 @163. */
export function encodePolicy(p: XfrmPolicy, update: boolean): Uint8Array {
  w.begin(update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY);
  writeSelector(w, p.selector);
  writeLifetimeCfgInfinite(w);
  w.zeros(32) // curlft
    .u32(p.priority)
    .u32(p.index ?? 0)
    .u8(DIR[p.dir])
    .u8(p.action === 'block' ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW)
    .u8(0)
    .u8(0)
    .zeros(4);
  writeTemplates(p.templates);
  writeType(p.type);
  writeMark(w, p.mark);
  return w.finish();
}

/* struct xfrm_userpolicy_id (64): sel @0, index u32 @56, dir u8 @60. */
export function encodePolicyDel(k: XfrmPolicyKey): Uint8Array {
  w.begin(XFRM_MSG_DELPOLICY);
  writeSelector(w, k.selector);
  w.u32(k.index ?? 0).u8(DIR[k.dir]).zeros(3);
  writeType(k.type);
  writeMark(w, k.mark);
  return w.finish();
}

export function encodePolicyDump(): Uint8Array {
  return w.begin(XFRM_MSG_GETPOLICY).finish();
}

function readTemplates(v: Uint8Array): XfrmTemplate[] {
  if (v.length % XFRM_USER_TMPL_SIZE) throw new NetlinkParseError('ATTR_BAD_SIZE', 0, `XFRMA_TMPL of ${v.length} octets`);
  const out: XfrmTemplate[] = [];
  for (let o = 0; o < v.length; o += XFRM_USER_TMPL_SIZE) {
    const t: XfrmTemplate = {
      dst: formatIp6(v, o),
      spi: rdBe32(v, o + 16),
      proto: v[o + 20]!,
      src: formatIp6(v, o + 28),
      reqid: rdU32(v, o + 44),
      mode: v[o + 48]!,
      share: v[o + 49]!,
      optional: v[o + 50] !== 0,
    };
    out.push(t);
  }
  return out;
}

/** Decodes a NEWPOLICY/UPDPOLICY message; undefined for non-IPv6 policies. */
export function decodePolicy(m: NlMsg): XfrmPolicy | undefined {
  const b = m.payload;
  need(b, 0, XFRM_USERPOLICY_INFO_SIZE, 'xfrm_userpolicy_info');
  if (rdU16(b, 40) !== AF_INET6) return undefined;
  const dir = DIR_NAME[b[160]!];
  if (dir === undefined) return undefined; // socket policies (dir 3+) are not ours
  const a = new AttrSet(b, XFRM_USERPOLICY_INFO_SIZE);
  const typeAttr = a.bytes(XFRMA_POLICY_TYPE);
  const p: XfrmPolicy = {
    selector: readSelector(b, 0),
    dir,
    priority: rdU32(b, 152),
    index: rdU32(b, 156),
    action: b[161] === XFRM_POLICY_BLOCK ? 'block' : 'allow',
    type: typeAttr && typeAttr.length >= 1 && typeAttr[0] === XFRM_POLICY_TYPE_SUB ? 'sub' : 'main',
    templates: readTemplates(a.bytes(XFRMA_TMPL) ?? new Uint8Array(0)),
  };
  const mark = readMark(a);
  if (mark) p.mark = mark;
  return p;
}

const sel = (s: XfrmSelector): string =>
  `src ${s.src}/${s.srcLen} dst ${s.dst}/${s.dstLen}${s.proto ? ` proto ${s.proto}` : ''}${s.mhType !== undefined ? ` type ${s.mhType}` : ''}`;
const label = (verb: string, k: XfrmPolicyKey) => (): string => `${verb} ${sel(k.selector)} dir ${k.dir}${k.type === 'sub' ? ' ptype sub' : ''}`;

/** `ip xfrm policy add SEL dir D ptype T priority P tmpl ...` (EEXIST when present). */
export function policyAdd(sock: NetlinkSocket, p: XfrmPolicy): Promise<void> {
  return sock.request(encodePolicy(p, false), { op: label('XFRM_MSG_NEWPOLICY', p) });
}

/** `ip xfrm policy update SEL dir D ...` (creates or replaces). */
export function policyUpdate(sock: NetlinkSocket, p: XfrmPolicy): Promise<void> {
  return sock.request(encodePolicy(p, true), { op: label('XFRM_MSG_UPDPOLICY', p) });
}

/** `ip xfrm policy delete SEL dir D ptype T` (ENOENT when absent). */
export function policyDelete(sock: NetlinkSocket, k: XfrmPolicyKey): Promise<void> {
  return sock.request(encodePolicyDel(k), { op: label('XFRM_MSG_DELPOLICY', k) });
}

/** `ip xfrm policy list` (IPv6 policies only). */
export function policyDump(sock: NetlinkSocket): Promise<XfrmPolicy[]> {
  return sock.dump(encodePolicyDump(), (m) => (m.type === XFRM_MSG_NEWPOLICY ? decodePolicy(m) : undefined), 'XFRM_MSG_GETPOLICY dump');
}
