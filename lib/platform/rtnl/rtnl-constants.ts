// rtnetlink constants (linux/rtnetlink.h, if_link.h, if_addr.h, neighbour.h,
// nexthop.h, if_tunnel.h, ip6_tunnel.h), names and numbers as in the headers.

export const AF_UNSPEC = 0;
export const AF_INET6 = 10;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;
export const RTM_NEWNEXTHOP = 104;
export const RTM_DELNEXTHOP = 105;
export const RTM_GETNEXTHOP = 106;

// Multicast groups (enum rtnetlink_groups), for NETLINK_ADD_MEMBERSHIP.
export const RTNLGRP_LINK = 1;
export const RTNLGRP_NEIGH = 3;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_NEXTHOP = 32;

export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
export const RTPROT_UNSPEC = 0;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;

/* struct rtmsg (12): family u8, dst_len u8, src_len u8, tos u8, table u8,
   protocol u8, scope u8, type u8, flags u32. */
export const RTMSG_SIZE = 12;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_PREF = 20;
export const RTA_NH_ID = 30;

/* struct ifinfomsg (16): family u8, pad u8, type u16, index i32, flags u32, change u32. */
export const IFINFOMSG_SIZE = 16;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_EXT_MASK = 29;
export const IFLA_STATS64 = 23;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
/** struct rtnl_link_stats64 starts rx_packets, tx_packets, rx_bytes, tx_bytes,
    rx_errors, tx_errors, rx_dropped, tx_dropped (u64 each). */
export const RTNL_LINK_STATS64_MIN = 64;

export const IFLA_IPTUN_LINK = 1;
export const IFLA_IPTUN_LOCAL = 2;
export const IFLA_IPTUN_REMOTE = 3;
export const IFLA_IPTUN_TTL = 4;
export const IFLA_IPTUN_ENCAP_LIMIT = 6;
export const IFLA_IPTUN_FLOWINFO = 7;
export const IFLA_IPTUN_FLAGS = 8;
export const IFLA_IPTUN_PROTO = 9;
export const IP6_TNL_F_IGN_ENCAP_LIMIT = 0x1;
export const IP6_TNL_F_MIP6_DEV = 0x8;
export const IPPROTO_IPV6 = 41;

/* struct ifaddrmsg (8): family u8, prefixlen u8, flags u8, scope u8, index u32. */
export const IFADDRMSG_SIZE = 8;
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

/* struct ndmsg (12): family u8, pad1 u8, pad2 u16, ifindex i32, state u16, flags u8, type u8. */
export const NDMSG_SIZE = 12;
export const NDA_DST = 1;
export const NDA_IFINDEX = 8;
export const NDA_PROTOCOL = 12;
export const NTF_PROXY = 0x08;
export const NUD_PERMANENT = 0x80;

/* struct nhmsg (8): family u8, scope u8, protocol u8, resvd u8, flags u32. */
export const NHMSG_SIZE = 8;
export const NHA_ID = 1;
export const NHA_GROUP = 2;
export const NHA_GROUP_TYPE = 3;
export const NHA_BLACKHOLE = 4;
export const NHA_OIF = 5;
export const NHA_GATEWAY = 6;
export const NHA_GROUPS = 9;
export const NEXTHOP_GRP_TYPE_MPATH = 0;
/** struct nexthop_grp (8): id u32, weight u8 (weight - 1), then reserved octets. */
export const NEXTHOP_GRP_SIZE = 8;
