// The tunnel_key action: `tunnel_key set src_ip A dst_ip B`. On the egress of an external
// (collect_md) ip6tnl device it replaces the outer addresses the route's encap nexthop
// gave the packet: the device's transmit reads the tunnel metadata the action attached.
import type { Ip6 } from '../../inet/ip6.js';
import type { NlWriter } from '../netlink/writer.js';
import {
  TCA_ACT_KIND,
  TCA_ACT_OPTIONS,
  TCA_TUNNEL_KEY_ACT_SET,
  TCA_TUNNEL_KEY_ENC_IPV6_DST,
  TCA_TUNNEL_KEY_ENC_IPV6_SRC,
  TCA_TUNNEL_KEY_PARMS,
  TC_ACT_OK,
  TC_TUNNEL_KEY_SIZE,
} from './tc-constants.js';

/** Writes `nestType { 1 { kind "tunnel_key", options { parms (set, then pass), src, dst } } }`. */
export function writeTunnelKeySetList(w: NlWriter, nestType: number, src: Ip6, dst: Ip6): void {
  const list = w.beginNest(nestType);
  const one = w.beginNest(1);
  w.attrString(TCA_ACT_KIND, 'tunnel_key');
  const opts = w.beginNest(TCA_ACT_OPTIONS);
  const parms = new Uint8Array(TC_TUNNEL_KEY_SIZE);
  const v = new DataView(parms.buffer);
  v.setInt32(8, TC_ACT_OK, true); // tc_gen.action: pass, classification ends here
  v.setInt32(20, TCA_TUNNEL_KEY_ACT_SET, true); // t_action
  w.attrBytes(TCA_TUNNEL_KEY_PARMS, parms);
  w.attrIp6(TCA_TUNNEL_KEY_ENC_IPV6_SRC, src).attrIp6(TCA_TUNNEL_KEY_ENC_IPV6_DST, dst);
  w.endNest(opts).endNest(one).endNest(list);
}
