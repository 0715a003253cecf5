// ip6tnl links (IPv6-in-IPv6 tunnels): RTM_NEWLINK with IFLA_LINKINFO
// { IFLA_INFO_KIND "ip6tnl", IFLA_INFO_DATA { IFLA_IPTUN_* } }.
import { IP6_UNSPECIFIED, type Ip6 } from '../../inet/ip6.js';
import { NLM_F_CREATE, NLM_F_EXCL } from '../netlink/netlink-constants.js';
import type { AttrSet } from '../netlink/parse.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { NlWriter } from '../netlink/writer.js';
import {
  AF_UNSPEC,
  IFF_UP,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_IPTUN_ENCAP_LIMIT,
  IFLA_IPTUN_FLAGS,
  IFLA_IPTUN_FLOWINFO,
  IFLA_IPTUN_LINK,
  IFLA_IPTUN_LOCAL,
  IFLA_IPTUN_PROTO,
  IFLA_IPTUN_REMOTE,
  IFLA_IPTUN_TTL,
  IFLA_LINKINFO,
  IFLA_MTU,
  IPPROTO_IPV6,
  RTM_NEWLINK,
} from './rtnl-constants.js';

/** Tunnel parameters as the kernel reports them (IFLA_INFO_DATA). */
export interface Ip6TnlParams {
  local: Ip6;
  remote: Ip6;
  /** Underlying device ifindex (0: any). */
  link: number;
  /** Hop limit of the outer header (IFLA_IPTUN_TTL). */
  hopLimit: number;
  encapLimit: number;
  /** IP6_TNL_F_* (MIP6_DEV 0x8, IGN_ENCAP_LIMIT 0x1, ...), as configured. */
  flags: number;
  /** Decoded only: the kernel's own capability bits (IP6_TNL_F_CAP_XMIT 0x10000,
      CAP_RCV 0x20000, CAP_PER_PACKET 0x40000), reported alongside the flags. */
  capabilities?: number;
  /** Inner protocol: 41 ip6ip6, 4 ipip6, 0 any. */
  proto: number;
  flowinfo: number;
}

export interface Ip6TnlConfig extends Partial<Omit<Ip6TnlParams, 'local' | 'remote' | 'capabilities'>> {
  name: string;
  local: Ip6;
  remote: Ip6;
  mtu?: number;
  /** Bring the link up as it is created. */
  up?: boolean;
}

const w = new NlWriter();

function encode(flags: number, ifindex: number, c: Ip6TnlConfig): Uint8Array {
  w.begin(RTM_NEWLINK, flags)
    .u8(AF_UNSPEC)
    .u8(0)
    .u16(0)
    .i32(ifindex)
    .u32(c.up ? IFF_UP : 0)
    .u32(c.up ? IFF_UP : 0)
    .attrString(IFLA_IFNAME, c.name);
  if (c.mtu !== undefined) w.attrU32(IFLA_MTU, c.mtu);
  const li = w.beginNest(IFLA_LINKINFO);
  w.attrString(IFLA_INFO_KIND, 'ip6tnl');
  const data = w.beginNest(IFLA_INFO_DATA);
  w.attrU32(IFLA_IPTUN_LINK, c.link ?? 0)
    .attrIp6(IFLA_IPTUN_LOCAL, c.local)
    .attrIp6(IFLA_IPTUN_REMOTE, c.remote)
    .attrU8(IFLA_IPTUN_TTL, c.hopLimit ?? 64)
    .attrU8(IFLA_IPTUN_ENCAP_LIMIT, c.encapLimit ?? 4)
    .attrU32(IFLA_IPTUN_FLOWINFO, c.flowinfo ?? 0)
    .attrU32(IFLA_IPTUN_FLAGS, c.flags ?? 0)
    .attrU8(IFLA_IPTUN_PROTO, c.proto ?? IPPROTO_IPV6);
  w.endNest(data).endNest(li);
  return w.finish();
}

export function encodeIp6TnlCreate(c: Ip6TnlConfig): Uint8Array {
  return encode(NLM_F_CREATE | NLM_F_EXCL, 0, c);
}

/** Changes an existing tunnel, found by ifindex (its name may change too). */
export function encodeIp6TnlChange(ifindex: number, c: Ip6TnlConfig): Uint8Array {
  return encode(0, ifindex, c);
}

/** Flag bits userspace sets; the kernel reports its capability bits above them. */
const IP6_TNL_F_USER_MASK = 0xffff;

export function decodeIp6TnlData(a: AttrSet): Ip6TnlParams {
  const raw = a.u32(IFLA_IPTUN_FLAGS) ?? 0;
  const p: Ip6TnlParams = {
    local: a.ip6(IFLA_IPTUN_LOCAL) ?? IP6_UNSPECIFIED,
    remote: a.ip6(IFLA_IPTUN_REMOTE) ?? IP6_UNSPECIFIED,
    link: a.u32(IFLA_IPTUN_LINK) ?? 0,
    hopLimit: a.u8(IFLA_IPTUN_TTL) ?? 0,
    encapLimit: a.u8(IFLA_IPTUN_ENCAP_LIMIT) ?? 0,
    flags: raw & IP6_TNL_F_USER_MASK,
    proto: a.u8(IFLA_IPTUN_PROTO) ?? 0,
    flowinfo: a.u32(IFLA_IPTUN_FLOWINFO) ?? 0,
  };
  if (raw & ~IP6_TNL_F_USER_MASK) p.capabilities = (raw & ~IP6_TNL_F_USER_MASK) >>> 0;
  return p;
}

/**
 * `ip -6 link add NAME type ip6tnl local L remote R mode ip6ip6 hoplimit H encaplimit E [dev LINK]`
 * (the MIP6_DEV flag has no `ip` keyword; `ip -d link show` prints the flags as hex).
 */
export function ip6tnlCreate(sock: NetlinkSocket, c: Ip6TnlConfig): Promise<void> {
  return sock.request(encodeIp6TnlCreate(c), { op: () => `RTM_NEWLINK ip6tnl ${c.name}` });
}

/** `ip -6 tunnel change NAME local L remote R ...` on the link with `ifindex`. */
export function ip6tnlChange(sock: NetlinkSocket, ifindex: number, c: Ip6TnlConfig): Promise<void> {
  return sock.request(encodeIp6TnlChange(ifindex, c), { op: () => `RTM_NEWLINK ip6tnl ${c.name} change` });
}
