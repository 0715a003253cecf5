// Proxy neighbour entries (RTM_NEWNEIGH with NTF_PROXY): the home agent answers
// neighbour solicitations for a mobile node's home address on the home link.
import type { Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, need, rdI32, type NlMsg } from '../netlink/parse.js';
import { onInterface } from '../netlink/dump-filter.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { AF_INET6, NDA_DST, NDA_IFINDEX, NDA_PROTOCOL, NDMSG_SIZE, NTF_PROXY, NUD_PERMANENT, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH } from './rtnl-constants.js';

export interface ProxyNeigh6 {
  dst: Ip6;
  ifindex: number;
  /** NDA_PROTOCOL ownership mark, where the kernel keeps it. */
  protocol?: number;
}

const w = new NlWriter();

function ndmsg(type: number, flags: number, ifindex: number): NlWriter {
  return w
    .begin(type, flags)
    .u8(AF_INET6)
    .u8(0)
    .u16(0)
    .i32(ifindex)
    .u16(type === RTM_GETNEIGH ? 0 : NUD_PERMANENT)
    .u8(NTF_PROXY)
    .u8(0);
}

export function encodeProxyNew(p: ProxyNeigh6): Uint8Array {
  ndmsg(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, p.ifindex).attrIp6(NDA_DST, p.dst);
  if (p.protocol !== undefined) w.attrU8(NDA_PROTOCOL, p.protocol);
  return w.finish();
}

export function encodeProxyDel(p: ProxyNeigh6): Uint8Array {
  return ndmsg(RTM_DELNEIGH, 0, p.ifindex).attrIp6(NDA_DST, p.dst).finish();
}

/** With strict checking the kernel wants ndm_ifindex 0 in a dump; NDA_IFINDEX filters. */
export function encodeProxyDump(ifindex = 0): Uint8Array {
  ndmsg(RTM_GETNEIGH, 0, 0);
  if (ifindex) w.attrU32(NDA_IFINDEX, ifindex);
  return w.finish();
}

/** Decodes a proxy entry; undefined for ordinary neighbours and other families. */
export function decodeProxy(m: NlMsg): ProxyNeigh6 | undefined {
  const p = m.payload;
  need(p, 0, NDMSG_SIZE, 'ndmsg');
  if (p[0] !== AF_INET6 || !(p[10]! & NTF_PROXY)) return undefined;
  const a = new AttrSet(p, NDMSG_SIZE);
  const dst = a.ip6(NDA_DST);
  if (dst === undefined) return undefined;
  const out: ProxyNeigh6 = { dst, ifindex: rdI32(p, 4) };
  const proto = a.u8(NDA_PROTOCOL);
  if (proto !== undefined) out.protocol = proto;
  return out;
}

const label = (verb: string, p: ProxyNeigh6) => (): string => `${verb} proxy ${p.dst} ifindex ${p.ifindex}`;

/** `ip -6 neigh add proxy ADDR dev IF` (repeating it is harmless). */
export function proxyAdd(sock: NetlinkSocket, p: ProxyNeigh6): Promise<void> {
  return sock.request(encodeProxyNew(p), { op: label('RTM_NEWNEIGH', p) });
}

/** `ip -6 neigh del proxy ADDR dev IF` (ENOENT when absent). */
export function proxyDelete(sock: NetlinkSocket, p: ProxyNeigh6): Promise<void> {
  return sock.request(encodeProxyDel(p), { op: label('RTM_DELNEIGH', p) });
}

/** `ip -6 neigh show proxy [dev IF]` */
export function proxyDump(sock: NetlinkSocket, filter: { ifindex?: number } = {}): Promise<ProxyNeigh6[]> {
  return sock.dump(
    encodeProxyDump(filter.ifindex ?? 0),
    onInterface(RTM_NEWNEIGH, decodeProxy, filter.ifindex),
    'RTM_GETNEIGH proxy dump',
  );
}
