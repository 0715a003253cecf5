// Netlink core constants (linux/netlink.h). Names and numbers as in the header.

export const NETLINK_ROUTE = 0;
export const NETLINK_XFRM = 6;

export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const NETLINK_GET_STRICT_CHK = 12;

/* struct nlmsghdr (16 octets, host byte order): len u32 @0, type u16 @4, flags u16 @6,
   seq u32 @8, pid u32 @12. Messages are padded to 4 octets (NLMSG_ALIGN). */
export const NLMSG_HDRLEN = 16;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
/** Types below this are netlink control messages, not family messages. */
export const NLMSG_MIN_TYPE = 0x10;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
// GET requests
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
// flags of an NLMSG_ERROR acknowledgement
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/* struct nlmsgerr: error i32 @0 (negative errno, 0 = ACK), then the offending
   request's nlmsghdr @4 (only the header with NETLINK_CAP_ACK / NLM_F_CAPPED,
   else the whole request), then NLMSGERR_ATTR_* TLVs when NLM_F_ACK_TLVS is set. */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;

/* struct nlattr / struct rtattr (4 octets): len u16 @0 (header included, padding not),
   type u16 @2; payload padded to 4 octets (NLA_ALIGN). */
export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const nlAlign = (n: number): number => (n + 3) & ~3;
