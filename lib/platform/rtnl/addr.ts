// IPv6 addresses (RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR), with IFA_F_HOMEADDRESS
// for a mobile node's home address (`ip addr add HOA/128 dev lo home`).
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink/netlink-constants.js';
import { AttrSet, need, rdU32, type NlMsg } from '../netlink/parse.js';
import { onInterface } from '../netlink/dump-filter.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_INET6,
  IFADDRMSG_SIZE,
  IFA_ADDRESS,
  IFA_FLAGS,
  IFA_LOCAL,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
  RT_SCOPE_UNIVERSE,
} from './rtnl-constants.js';

export interface Addr6 {
  ifindex: number;
  address: Ip6;
  prefixLen: number;
  /** IFA_F_* (HOMEADDRESS 0x10, NODAD 0x02, NOPREFIXROUTE 0x200, ...). */
  flags?: number;
  scope?: number;
}

const w = new NlWriter();

function encode(type: number, flags: number, a: Addr6): Uint8Array {
  const f = a.flags ?? 0;
  return w
    .begin(type, flags)
    .u8(AF_INET6)
    .u8(a.prefixLen)
    .u8(f & 0xff)
    .u8(a.scope ?? RT_SCOPE_UNIVERSE)
    .u32(a.ifindex)
    .attrIp6(IFA_LOCAL, a.address)
    .attrIp6(IFA_ADDRESS, a.address)
    .attrU32(IFA_FLAGS, f)
    .finish();
}

export function encodeAddrNew(a: Addr6, replace: boolean): Uint8Array {
  return encode(RTM_NEWADDR, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), a);
}

export function encodeAddrDel(a: Addr6): Uint8Array {
  return encode(RTM_DELADDR, 0, a);
}

export function encodeAddrDump(ifindex = 0): Uint8Array {
  return w.begin(RTM_GETADDR).u8(AF_INET6).zeros(3).u32(ifindex).finish();
}

export function decodeAddr(m: NlMsg): Addr6 | undefined {
  const p = m.payload;
  need(p, 0, IFADDRMSG_SIZE, 'ifaddrmsg');
  if (p[0] !== AF_INET6) return undefined;
  const a = new AttrSet(p, IFADDRMSG_SIZE);
  return {
    ifindex: rdU32(p, 4),
    address: a.ip6(IFA_LOCAL) ?? a.ip6(IFA_ADDRESS) ?? IP6_UNSPECIFIED,
    prefixLen: p[1]!,
    flags: a.u32(IFA_FLAGS) ?? p[2]!,
    scope: p[3]!,
  };
}

const label = (verb: string, a: Addr6) => (): string => `${verb} ${a.address}/${a.prefixLen} ifindex ${a.ifindex}`;

/** `ip -6 addr add ADDR/LEN dev IF [home] [nodad]` (`replace` for `ip -6 addr replace`). */
export function addrAdd(sock: NetlinkSocket, a: Addr6, opts: { replace?: boolean } = {}): Promise<void> {
  return sock.request(encodeAddrNew(a, opts.replace ?? false), { op: label('RTM_NEWADDR', a) });
}

/** `ip -6 addr del ADDR/LEN dev IF` */
export function addrDelete(sock: NetlinkSocket, a: Addr6): Promise<void> {
  return sock.request(encodeAddrDel(a), { op: label('RTM_DELADDR', a) });
}

/** `ip -6 addr show [dev IF]` */
export function addrDump(sock: NetlinkSocket, filter: { ifindex?: number } = {}): Promise<Addr6[]> {
  return sock.dump(
    encodeAddrDump(filter.ifindex ?? 0),
    onInterface(RTM_NEWADDR, decodeAddr, filter.ifindex),
    'RTM_GETADDR dump',
  );
}
