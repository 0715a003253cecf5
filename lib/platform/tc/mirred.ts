// The mirred action: `mirred egress redirect dev DEV`. Between two ip6ip6 tunnels of the
// mobile node it moves a packet routed to one tunnel onto the other (its egress, so it is
// encapsulated from that tunnel's care-of address): RFC 6089 uplink steering.
import type { NlWriter } from '../netlink/writer.js';
import { TCA_ACT_KIND, TCA_ACT_OPTIONS, TCA_EGRESS_REDIR, TCA_MIRRED_PARMS, TC_ACT_STOLEN, TC_MIRRED_SIZE } from './tc-constants.js';

/** Writes `nestType { 1 { kind "mirred", options { parms (egress redirect to ifindex, stolen) } } }`. */
export function writeMirredRedirectList(w: NlWriter, nestType: number, ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex <= 0) throw new RangeError(`mirred redirect to ifindex ${ifindex}`);
  const list = w.beginNest(nestType);
  const one = w.beginNest(1);
  w.attrString(TCA_ACT_KIND, 'mirred');
  const opts = w.beginNest(TCA_ACT_OPTIONS);
  const parms = new Uint8Array(TC_MIRRED_SIZE);
  const v = new DataView(parms.buffer);
  v.setInt32(8, TC_ACT_STOLEN, true); // tc_gen.action: the packet left on the other device
  v.setInt32(20, TCA_EGRESS_REDIR, true); // eaction
  v.setUint32(24, ifindex, true);
  w.attrBytes(TCA_MIRRED_PARMS, parms);
  w.endNest(opts).endNest(one).endNest(list);
}
