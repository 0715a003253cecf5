// XFRM netlink constants (linux/xfrm.h), names and numbers as in the header.
// Struct sizes were checked against the header with gcc (sizeof/offsetof) on
// x86_64; test/unit/platform asserts them.

export const XFRM_MSG_NEWSA = 0x10;
export const XFRM_MSG_DELSA = 0x11;
export const XFRM_MSG_GETSA = 0x12;
export const XFRM_MSG_NEWPOLICY = 0x13;
export const XFRM_MSG_DELPOLICY = 0x14;
export const XFRM_MSG_GETPOLICY = 0x15;
export const XFRM_MSG_ACQUIRE = 0x17;
export const XFRM_MSG_EXPIRE = 0x18;
export const XFRM_MSG_UPDPOLICY = 0x19;
export const XFRM_MSG_UPDSA = 0x1a;
export const XFRM_MSG_POLEXPIRE = 0x1b;
export const XFRM_MSG_FLUSHSA = 0x1c;
export const XFRM_MSG_FLUSHPOLICY = 0x1d;
export const XFRM_MSG_REPORT = 0x20;
export const XFRM_MSG_MIGRATE = 0x21;

// enum xfrm_attr_type_t
export const XFRMA_ALG_AUTH = 1;
export const XFRMA_ALG_CRYPT = 2;
export const XFRMA_TMPL = 5;
export const XFRMA_SRCADDR = 13;
export const XFRMA_COADDR = 14;
export const XFRMA_POLICY_TYPE = 16;
export const XFRMA_MIGRATE = 17;
export const XFRMA_ALG_AEAD = 18;
export const XFRMA_ALG_AUTH_TRUNC = 20;
export const XFRMA_MARK = 21;

// enum xfrm_nlgroups
export const XFRMNLGRP_ACQUIRE = 1;
export const XFRMNLGRP_EXPIRE = 2;
export const XFRMNLGRP_SA = 3;
export const XFRMNLGRP_POLICY = 4;
export const XFRMNLGRP_AEVENTS = 5;
export const XFRMNLGRP_REPORT = 6;
export const XFRMNLGRP_MIGRATE = 7;

export const XFRM_MODE_TRANSPORT = 0;
export const XFRM_MODE_TUNNEL = 1;
export const XFRM_MODE_ROUTEOPTIMIZATION = 2;
export const XFRM_MODE_BEET = 4;

export const XFRM_POLICY_IN = 0;
export const XFRM_POLICY_OUT = 1;
export const XFRM_POLICY_FWD = 2;
export const XFRM_POLICY_ALLOW = 0;
export const XFRM_POLICY_BLOCK = 1;
export const XFRM_POLICY_TYPE_MAIN = 0;
export const XFRM_POLICY_TYPE_SUB = 1;

export const XFRM_STATE_NOECN = 1;
export const XFRM_STATE_NOPMTUDISC = 4;
export const XFRM_STATE_WILDRECV = 8;
export const XFRM_STATE_AF_UNSPEC = 32;

export const IPPROTO_ROUTING = 43; // type 2 routing header state ("proto route2")
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_DSTOPTS = 60; // home address option state ("proto hao")
export const IPPROTO_MH = 135;

export const AF_INET6 = 10;

// Struct sizes (x86_64).
export const XFRM_SELECTOR_SIZE = 56;
export const XFRM_ID_SIZE = 24;
export const XFRM_LIFETIME_CFG_SIZE = 64;
export const XFRM_LIFETIME_CUR_SIZE = 32;
export const XFRM_USERSA_INFO_SIZE = 224;
export const XFRM_USERSA_ID_SIZE = 24;
export const XFRM_USERPOLICY_INFO_SIZE = 168;
export const XFRM_USERPOLICY_ID_SIZE = 64;
export const XFRM_USER_TMPL_SIZE = 64;
export const XFRM_USER_REPORT_SIZE = 60;
export const XFRM_USER_MIGRATE_SIZE = 76;
export const XFRM_ALGO_SIZE = 68; // name[64], key_len (bits) u32, key
export const XFRM_ALGO_AUTH_SIZE = 72; // name[64], key_len, trunc_len (bits), key
export const XFRM_ALGO_AEAD_SIZE = 72; // name[64], key_len, icv_len (bits), key
export const XFRM_MARK_SIZE = 8;
export const XFRM_USERPOLICY_TYPE_SIZE = 6;

// Async events (sequence numbers and lifetimes of a state): replies and multicasts on
// XFRMNLGRP_AEVENTS are XFRM_MSG_NEWAE; NEWAE with NLM_F_REPLACE sets them.
export const XFRM_MSG_NEWAE = 0x1e;
export const XFRM_MSG_GETAE = 0x1f;
export const XFRMA_LTIME_VAL = 9;
export const XFRMA_REPLAY_VAL = 10;
export const XFRMA_REPLAY_THRESH = 11;
export const XFRMA_ETIMER_THRESH = 12;
export const XFRMA_REPLAY_ESN_VAL = 23;
// enum xfrm_ae_ftype_t (xfrm_aevent_id.flags)
export const XFRM_AE_RTHR = 1;
export const XFRM_AE_RVAL = 2;
export const XFRM_AE_LVAL = 4;
export const XFRM_AE_ETHR = 8;
export const XFRM_AE_CR = 16;
export const XFRM_AE_CE = 32;
export const XFRM_AE_CU = 64;
export const XFRM_AEVENT_ID_SIZE = 48;
export const XFRM_REPLAY_STATE_SIZE = 12;
export const XFRM_REPLAY_STATE_ESN_SIZE = 24; // without bmp[]
