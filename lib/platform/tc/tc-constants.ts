// Traffic control constants (linux/rtnetlink.h, pkt_sched.h, pkt_cls.h,
// tc_act/tc_gact.h, gen_stats.h, if_ether.h), names and numbers as in the headers.

export const RTM_NEWQDISC = 36;
export const RTM_DELQDISC = 37;
export const RTM_GETQDISC = 38;
export const RTM_NEWTFILTER = 44;
export const RTM_DELTFILTER = 45;
export const RTM_GETTFILTER = 46;

/* struct tcmsg (20): family u8, pad u8, pad u16, ifindex i32, handle u32,
   parent u32, info u32 (filters: priority << 16 | protocol in network order). */
export const TCMSG_SIZE = 20;
export const TCA_KIND = 1;
export const TCA_OPTIONS = 2;
export const TCA_CHAIN = 11;

// Handles (pkt_sched.h). clsact sits at ffff: with two pseudo-classes.
export const TC_H_CLSACT = 0xfffffff1;
export const TC_H_MIN_INGRESS = 0xfff2;
export const TC_H_MIN_EGRESS = 0xfff3;
export const TC_H_MAJ_MASK = 0xffff0000;
/** TC_H_MAKE(maj, min) */
export const tcHandle = (maj: number, min: number): number => ((maj & TC_H_MAJ_MASK) | (min & 0xffff)) >>> 0;
/** The clsact qdisc's own handle, ffff:0. */
export const CLSACT_HANDLE = tcHandle(TC_H_CLSACT, 0);
/** Parent of ingress filters on a clsact qdisc, ffff:fff2 (`tc filter ... ingress`). */
export const TC_PARENT_INGRESS = tcHandle(TC_H_CLSACT, TC_H_MIN_INGRESS);
export const TC_PARENT_EGRESS = tcHandle(TC_H_CLSACT, TC_H_MIN_EGRESS);

// if_ether.h
export const ETH_P_ALL = 0x0003;
export const ETH_P_IPV6 = 0x86dd;

// pkt_cls.h: flags shared by classifiers.
export const TCA_CLS_FLAGS_SKIP_HW = 1 << 0;
export const TCA_CLS_FLAGS_SKIP_SW = 1 << 1;
export const TCA_CLS_FLAGS_IN_HW = 1 << 2;
export const TCA_CLS_FLAGS_NOT_IN_HW = 1 << 3;

// pkt_cls.h: flower.
export const TCA_FLOWER_ACT = 3;
export const TCA_FLOWER_KEY_ETH_TYPE = 8; // be16
export const TCA_FLOWER_KEY_IP_PROTO = 9; // u8
export const TCA_FLOWER_KEY_IPV6_SRC = 14;
export const TCA_FLOWER_KEY_IPV6_SRC_MASK = 15;
export const TCA_FLOWER_KEY_IPV6_DST = 16;
export const TCA_FLOWER_KEY_IPV6_DST_MASK = 17;
export const TCA_FLOWER_KEY_TCP_SRC = 18; // be16
export const TCA_FLOWER_KEY_TCP_DST = 19; // be16
export const TCA_FLOWER_KEY_UDP_SRC = 20; // be16
export const TCA_FLOWER_KEY_UDP_DST = 21; // be16
export const TCA_FLOWER_KEY_SCTP_SRC = 41; // be16
export const TCA_FLOWER_KEY_SCTP_DST = 42; // be16
export const TCA_FLOWER_KEY_IP_TOS = 73; // u8
export const TCA_FLOWER_KEY_IP_TOS_MASK = 74; // u8
export const TCA_FLOWER_KEY_PORT_SRC_MIN = 87; // be16
export const TCA_FLOWER_KEY_PORT_SRC_MAX = 88; // be16
export const TCA_FLOWER_KEY_PORT_DST_MIN = 89; // be16
export const TCA_FLOWER_KEY_PORT_DST_MAX = 90; // be16
export const TCA_FLOWER_FLAGS = 22; // u32
export const TCA_FLOWER_KEY_ENC_IPV6_SRC = 31;
export const TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK = 32;

// pkt_cls.h: matchall.
export const TCA_MATCHALL_ACT = 2;
export const TCA_MATCHALL_FLAGS = 3;
export const TCA_MATCHALL_PCNT = 4; // struct tc_matchall_pcnt { u64 rhit }

// pkt_cls.h: actions.
export const TCA_ACT_KIND = 1;
export const TCA_ACT_OPTIONS = 2;
export const TCA_ACT_INDEX = 3;
export const TCA_ACT_STATS = 4;
export const TC_ACT_OK = 0;
export const TC_ACT_SHOT = 2;
export const TC_ACT_PIPE = 3;
/** TC_ACT_GOTO_CHAIN | chain index: continue classification in that chain. */
export const TC_ACT_GOTO_CHAIN = 0x20000000;
/** The largest chain index a goto can name (TC_ACT_EXT_VAL_MASK). */
export const TC_ACT_EXT_VAL_MASK = 0x0fffffff;

// tc_act/tc_mirred.h: struct tc_mirred (28) = tc_gen (20) + eaction i32 + ifindex u32.
export const TCA_MIRRED_PARMS = 2;
export const TCA_EGRESS_REDIR = 1;
export const TC_MIRRED_SIZE = 28;
export const TC_ACT_STOLEN = 4;

// tc_act/tc_tunnel_key.h: struct tc_tunnel_key (24) = tc_gen (20) + t_action i32.
export const TCA_TUNNEL_KEY_PARMS = 2;
export const TCA_TUNNEL_KEY_ENC_IPV6_SRC = 5;
export const TCA_TUNNEL_KEY_ENC_IPV6_DST = 6;
export const TCA_TUNNEL_KEY_ACT_SET = 1;
export const TC_TUNNEL_KEY_SIZE = 24;

// tc_act/tc_gact.h: struct tc_gact (20) = tc_gen: index u32, capab u32, action i32,
// refcnt i32, bindcnt i32.
export const TCA_GACT_TM = 1;
export const TCA_GACT_PARMS = 2;
export const TC_GACT_SIZE = 20;

// gen_stats.h
export const TCA_STATS_BASIC = 1; // struct gnet_stats_basic { u64 bytes; u32 packets; } (16 with padding)
export const TCA_STATS_QUEUE = 3; // struct gnet_stats_queue: qlen, backlog, drops, requeues, overlimits (u32)
export const TCA_STATS_PKT64 = 8; // u64 packets
export const GNET_STATS_BASIC_MIN = 12;
export const GNET_STATS_QUEUE_SIZE = 20;
