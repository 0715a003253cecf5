import os from 'node:os';

// Socket option and protocol numbers the signalling sockets need beyond lib/platform/sys/socket.ts,
// named as in the Linux UAPI headers (linux/in6.h, linux/icmpv6.h, linux/sockios.h) and
// the RFCs they come from.

/** IPv6 next header of the Mobility Header (RFC 6275 §6.1). */
export const IPPROTO_MH = 135;

// linux/in6.h, level IPPROTO_IPV6
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
/** IPV6_JOIN_GROUP in RFC 3493; struct ipv6_mreq. */
export const IPV6_ADD_MEMBERSHIP = 20;
/** IPV6_LEAVE_GROUP in RFC 3493. */
export const IPV6_DROP_MEMBERSHIP = 21;

// linux/icmpv6.h, level IPPROTO_ICMPV6
export const ICMPV6_FILTER = 1;

// linux/sockios.h
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;

/** Home Address destination option (RFC 6275 §6.3), IPV6_TLV_HAO in linux/in6.h. */
export const IPV6_TLV_HAO = 201;
export const IPV6_TLV_PAD1 = 0;
export const IPV6_TLV_PADN = 1;
/** Routing header type 2 (RFC 6275 §6.4), IPV6_SRCRT_TYPE_2 in linux/ipv6.h. */
export const IPV6_SRCRT_TYPE_2 = 2;

// ICMPv6 message types (RFC 4861 §4)
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
// Neighbor Discovery option types (RFC 4861 §4.6, RFC 7527 §4)
export const ND_OPT_SOURCE_LINKADDR = 1;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ND_OPT_NONCE = 14;
/** Hop limit every ND message is sent with and must arrive with (RFC 4861 §7.1). */
export const ND_HOP_LIMIT = 255;

/** errno for a link that is not operational; lib/platform/sys's Errno table does not list it. */
export const ENETDOWN = os.constants.errno.ENETDOWN;
