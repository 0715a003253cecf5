// The one shared tunnel device of the home agent: an ip6tnl link in external
// (collect_md) mode. It has no fixed endpoints; each packet it sends takes them
// from the route's lightweight-tunnel encapsulation (see nexthop-encap.ts), and it
// receives every ip6ip6 packet no configured tunnel claims: the kernel's receive
// lookup returns the collect_md device before the ip6tnl0 fallback, with no
// per-binding hash walk.
import { Errno } from '../sys/errno.js';
import { KernelError } from '../kernel-errors.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../netlink/netlink-constants.js';
import { AttrSet, need, rdI32, type NlMsg } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import { IFLA_IPTUN_COLLECT_METADATA } from './dataplane-constants.js';
import { encodeLinkGet } from './link.js';
import {
  AF_UNSPEC,
  IFF_UP,
  IFINFOMSG_SIZE,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPTUN_PROTO,
  IFLA_LINKINFO,
  IFLA_MTU,
  IPPROTO_IPV6,
  RTM_NEWLINK,
} from './rtnl-constants.js';

export interface Ip6TnlExternalConfig {
  name: string;
  mtu?: number;
  /** Bring the link up as it is created. */
  up?: boolean;
}

const w = new NlWriter();

/** The kernel takes only IFLA_IPTUN_PROTO and the flag in external mode; it
    refuses local/remote there. Inner protocol 41: IPv6 in IPv6 only. */
export function encodeIp6TnlExternalCreate(c: Ip6TnlExternalConfig): Uint8Array {
  const up = c.up ? IFF_UP : 0;
  w.begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL).u8(AF_UNSPEC).u8(0).u16(0).i32(0).u32(up).u32(up);
  w.attrString(IFLA_IFNAME, c.name);
  if (c.mtu !== undefined) w.attrU32(IFLA_MTU, c.mtu);
  const li = w.beginNest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, 'ip6tnl');
  const data = w.beginNest(IFLA_INFO_DATA);
  w.attrU8(IFLA_IPTUN_PROTO, IPPROTO_IPV6).attrFlag(IFLA_IPTUN_COLLECT_METADATA);
  w.endNest(data).endNest(li);
  return w.finish();
}

/** Whether an ip6tnl link's IFLA_INFO_DATA says external (collect_md). */
export function isIp6TnlExternal(data: AttrSet): boolean {
  return data.has(IFLA_IPTUN_COLLECT_METADATA);
}

/** `ip link add NAME type ip6tnl external mode ip6ip6 [mtu M] && ip link set NAME up` */
export function ip6tnlExternalCreate(sock: NetlinkSocket, c: Ip6TnlExternalConfig): Promise<void> {
  return sock.request(encodeIp6TnlExternalCreate(c), { op: () => `RTM_NEWLINK ip6tnl external ${c.name}` });
}

export interface Ip6TnlExternalLink {
  ifindex: number;
  name: string;
  /** IFLA_IPTUN_COLLECT_METADATA present. */
  external: boolean;
  /** IFLA_IPTUN_PROTO: 41 ip6ip6, 0 any. */
  proto: number;
}

/** Decodes an RTM_NEWLINK of an ip6tnl link; undefined for other kinds. */
export function decodeIp6TnlExternalLink(m: NlMsg): Ip6TnlExternalLink | undefined {
  const p = m.payload;
  need(p, 0, IFINFOMSG_SIZE, 'ifinfomsg');
  const a = new AttrSet(p, IFINFOMSG_SIZE);
  const info = a.nested(IFLA_LINKINFO);
  if (info?.string(IFLA_INFO_KIND) !== 'ip6tnl') return undefined;
  const data = info.nested(IFLA_INFO_DATA);
  return {
    ifindex: rdI32(p, 4),
    name: a.string(IFLA_IFNAME) ?? '',
    external: data !== undefined && isIp6TnlExternal(data),
    proto: data?.u8(IFLA_IPTUN_PROTO) ?? 0,
  };
}

/** `ip -d link show NAME` for an ip6tnl link; undefined when absent or another kind. */
export async function ip6tnlExternalGet(sock: NetlinkSocket, name: string): Promise<Ip6TnlExternalLink | undefined> {
  try {
    return await sock.get(encodeLinkGet({ name }), decodeIp6TnlExternalLink, () => `RTM_GETLINK ${name}`);
  } catch (err) {
    if (err instanceof KernelError && err.errno === Errno.ENODEV) return undefined;
    throw err;
  }
}
