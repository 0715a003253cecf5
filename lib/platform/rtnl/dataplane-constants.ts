// Constants for the shared-tunnel data plane (linux/if_tunnel.h, nexthop.h,
// lwtunnel.h), names and numbers as in the headers. Kept apart from
// rtnl-constants.ts so the per-binding tunnel code does not change.

/** IFLA_IPTUN_COLLECT_METADATA (flag, if_tunnel.h): the tunnel is `external`. */
export const IFLA_IPTUN_COLLECT_METADATA = 19;

// nexthop.h: attributes after NHA_GATEWAY (6).
export const NHA_ENCAP_TYPE = 7;
export const NHA_ENCAP = 8;
export const NHA_RES_GROUP = 12;
export const NHA_RES_BUCKET = 13;
export const NEXTHOP_GRP_TYPE_RES = 1;
export const NHA_RES_GROUP_BUCKETS = 1; // u16
export const NHA_RES_GROUP_IDLE_TIMER = 2; // u32, clock_t (USER_HZ)
export const NHA_RES_GROUP_UNBALANCED_TIMER = 3; // u32, clock_t
export const NHA_RES_GROUP_UNBALANCED_TIME = 4; // u64, clock_t (dump only)
/** clock_t ticks per second as the kernel reports them to user space (USER_HZ). */
export const USER_HZ = 100;

// lwtunnel.h
export const LWTUNNEL_ENCAP_IP6 = 4;
export const LWTUNNEL_IP6_ID = 1; // be64 tunnel id
export const LWTUNNEL_IP6_DST = 2; // in6_addr
export const LWTUNNEL_IP6_SRC = 3; // in6_addr
export const LWTUNNEL_IP6_HOPLIMIT = 4; // u8
export const LWTUNNEL_IP6_TC = 5; // u8
export const LWTUNNEL_IP6_FLAGS = 6; // be16 TUNNEL_* flags
