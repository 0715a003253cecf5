// The clsact qdisc: the hook that ingress (and egress) filters hang from.
import { NLM_F_CREATE, NLM_F_EXCL } from '../netlink/netlink-constants.js';
import { AttrSet, type NlMsg } from '../netlink/parse.js';
import { onInterface } from '../netlink/dump-filter.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { CLSACT_HANDLE, RTM_DELQDISC, RTM_GETQDISC, RTM_NEWQDISC, TCA_KIND, TCMSG_SIZE, TC_H_CLSACT } from './tc-constants.js';
import { readTcmsg, writeTcmsg, type TcHeader } from './tcmsg.js';

const w = new NlWriter();

const clsact = (ifindex: number): TcHeader => ({ ifindex, handle: CLSACT_HANDLE, parent: TC_H_CLSACT, prio: 0, protocol: 0 });

export function encodeClsactAdd(ifindex: number): Uint8Array {
  writeTcmsg(w.begin(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL), clsact(ifindex));
  return w.attrString(TCA_KIND, 'clsact').finish();
}

export function encodeClsactDel(ifindex: number): Uint8Array {
  writeTcmsg(w.begin(RTM_DELQDISC), clsact(ifindex));
  return w.attrString(TCA_KIND, 'clsact').finish();
}

export function encodeQdiscDump(): Uint8Array {
  return writeTcmsg(w.begin(RTM_GETQDISC), { ifindex: 0, handle: 0, parent: 0, prio: 0, protocol: 0 }).finish();
}

export interface Qdisc {
  ifindex: number;
  handle: number;
  parent: number;
  kind: string;
}

export function decodeQdisc(m: NlMsg): Qdisc {
  const h = readTcmsg(m);
  const a = new AttrSet(m.payload, TCMSG_SIZE);
  return { ifindex: h.ifindex, handle: h.handle, parent: h.parent, kind: a.string(TCA_KIND) ?? '' };
}

/** `tc qdisc add dev DEV clsact` (EEXIST when it is there already). */
export function clsactAdd(sock: NetlinkSocket, ifindex: number): Promise<void> {
  return sock.request(encodeClsactAdd(ifindex), { op: () => `RTM_NEWQDISC clsact ifindex ${ifindex}` });
}

/** `tc qdisc del dev DEV clsact` (its filters go with it). */
export function clsactDelete(sock: NetlinkSocket, ifindex: number): Promise<void> {
  return sock.request(encodeClsactDel(ifindex), { op: () => `RTM_DELQDISC clsact ifindex ${ifindex}` });
}

/** `tc qdisc show [dev DEV]` */
export function qdiscDump(sock: NetlinkSocket, filter: { ifindex?: number } = {}): Promise<Qdisc[]> {
  return sock.dump(
    encodeQdiscDump(),
    onInterface(RTM_NEWQDISC, decodeQdisc, filter.ifindex),
    'RTM_GETQDISC dump',
  );
}
