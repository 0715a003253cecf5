// XFRM_MSG_REPORT (group XFRMNLGRP_REPORT): the kernel reports a packet a
// route-optimisation state refused; UMIP turned these into Binding Errors.
// And XFRM_MSG_MIGRATE: move a policy's templates and matching states to new
// addresses in one step.
import type { Ip6 } from '../../inet/ip6.js';
import { AttrSet, need, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_INET6,
  XFRMA_COADDR,
  XFRMA_MIGRATE,
  XFRMA_POLICY_TYPE,
  XFRM_MSG_MIGRATE,
  XFRM_POLICY_FWD,
  XFRM_POLICY_IN,
  XFRM_POLICY_OUT,
  XFRM_POLICY_TYPE_MAIN,
  XFRM_POLICY_TYPE_SUB,
  XFRM_USERPOLICY_TYPE_SIZE,
  XFRM_USER_REPORT_SIZE,
} from './xfrm-constants.js';
import type { XfrmDir, XfrmPolicyType } from './policy.js';
import { readSelector, writeSelector, type XfrmSelector } from './structs.js';

export interface XfrmReport {
  /** The state protocol that refused the packet (IPPROTO_DSTOPTS or IPPROTO_ROUTING). */
  proto: number;
  selector: XfrmSelector;
  coaddr?: Ip6;
}

/* struct xfrm_user_report (60): proto u8 @0, sel @4; then XFRMA_COADDR. */
export function decodeReport(m: NlMsg): XfrmReport {
  const b = m.payload;
  need(b, 0, XFRM_USER_REPORT_SIZE, 'xfrm_user_report');
  const r: XfrmReport = { proto: b[0]!, selector: readSelector(b, 4) };
  const coa = new AttrSet(b, XFRM_USER_REPORT_SIZE).ip6(XFRMA_COADDR);
  if (coa !== undefined) r.coaddr = coa;
  return r;
}

export interface XfrmMigrateEntry {
  oldSrc: Ip6;
  oldDst: Ip6;
  newSrc: Ip6;
  newDst: Ip6;
  proto: number;
  mode: number;
  reqid: number;
}

const DIR = { in: XFRM_POLICY_IN, out: XFRM_POLICY_OUT, fwd: XFRM_POLICY_FWD } as const;
const w = new NlWriter(2048);

/* XFRM_MSG_MIGRATE: struct xfrm_userpolicy_id, then XFRMA_MIGRATE holding
   struct xfrm_user_migrate (76) entries: old_daddr @0, old_saddr @16, new_daddr @32,
   new_saddr @48, proto u8 @64, mode u8 @65, reqid u32 @68, old_family u16 @72,
   new_family u16 @74. */
export function encodeMigrate(selector: XfrmSelector, dir: XfrmDir, type: XfrmPolicyType | undefined, entries: readonly XfrmMigrateEntry[]): Uint8Array {
  w.begin(XFRM_MSG_MIGRATE);
  writeSelector(w, selector);
  w.u32(0).u8(DIR[dir]).zeros(3);
  const at = w.beginNest(XFRMA_MIGRATE, false);
  for (const e of entries) {
    w.ip6(e.oldDst).ip6(e.oldSrc).ip6(e.newDst).ip6(e.newSrc).u8(e.proto).u8(e.mode).u16(0).u32(e.reqid).u16(AF_INET6).u16(AF_INET6);
  }
  w.endNest(at);
  const t = new Uint8Array(XFRM_USERPOLICY_TYPE_SIZE);
  t[0] = type === 'sub' ? XFRM_POLICY_TYPE_SUB : XFRM_POLICY_TYPE_MAIN;
  w.attrBytes(XFRMA_POLICY_TYPE, t);
  return w.finish();
}

/** Moves the policy's templates and the matching states from old to new addresses.
    `ip` has no equivalent; strongSwan uses it for MOBIKE. Size per entry: XFRM_USER_MIGRATE_SIZE. */
export function xfrmMigrate(
  sock: NetlinkSocket,
  policy: { selector: XfrmSelector; dir: XfrmDir; type?: XfrmPolicyType },
  entries: readonly XfrmMigrateEntry[],
): Promise<void> {
  return sock.request(encodeMigrate(policy.selector, policy.dir, policy.type, entries), {
    op: () => `XFRM_MSG_MIGRATE dir ${policy.dir} ${entries.map((e) => `${e.oldDst}->${e.newDst}`).join(' ')}`,
  });
}
