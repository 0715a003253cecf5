// Encoding and sending what the core hands back, and the kernel objects that let the
// Mobility Header socket see Binding Updates carrying a Home Address option.
import type { Outgoing } from '../../proto/common/outcome.js';
import type { XfrmPolicy } from '../../platform/xfrm/policy.js';
import type { XfrmState } from '../../platform/xfrm/state.js';
import type { XfrmBands } from '../../reconcile/drivers/xfrm.js';
import { encodeMessage } from '../../wire/mh.js';
import { POLICY_PRIORITY_OFFSET } from '../../plan/ha/signalling-ipsec.js';
import type { WireProfile } from '../../wire/profile.js';
import type { MobilityMessage } from '../../wire/types.js';
import type { MhPort } from '../service/host.js';

const IPPROTO_DSTOPTS = 60;
const IPPROTO_MH = 135;
const XFRM_MODE_ROUTEOPTIMIZATION = 2;
const XFRM_STATE_WILDRECV = 8;

/**
 * The kernel processes a Home Address option only where a route-optimisation state matches
 * and a policy lets it in (mipv6-reference.md): one wildcard state (any source, any
 * destination, `flag wildrecv`) and one inbound policy for the Mobility Header with an
 * optional (`level use`) hao template.
 *   ip xfrm state add src :: dst :: proto hao spi 0 mode ro coa :: flag wildrecv sel src ::/0 dst ::/0 reqid R
 *   ip xfrm policy add src ::/0 dst ::/0 proto 135 dir in priority P tmpl proto hao mode ro level use
 */
export function homeAddressOptionXfrm(bands: XfrmBands): { states: XfrmState[]; policies: XfrmPolicy[] } {
  const any = { src: '::', srcLen: 0, dst: '::', dstLen: 0, proto: 0 };
  return {
    states: [
      {
        src: '::',
        dst: '::',
        proto: IPPROTO_DSTOPTS,
        spi: 0,
        mode: XFRM_MODE_ROUTEOPTIMIZATION,
        reqid: bands.reqidBase,
        flags: XFRM_STATE_WILDRECV,
        selector: any,
        coaddr: '::',
      },
    ],
    policies: [
      {
        selector: { ...any, proto: IPPROTO_MH },
        dir: 'in',
        // Below the per home address ESP policies, which carry this template too (plan/ha/signalling-ipsec.ts).
        priority: bands.priorityBase + POLICY_PRIORITY_OFFSET.homeAddressOption,
        templates: [{ proto: IPPROTO_DSTOPTS, mode: XFRM_MODE_ROUTEOPTIMIZATION, optional: true }],
      },
    ],
  };
}

/** Encodes and sends one message; the type 2 routing header goes on when the core asks for it. */
export function sendOutgoing(sock: MhPort, profile: WireProfile, out: Outgoing<MobilityMessage>, buf: Uint8Array): number {
  const data = encodeMessage(out.message, profile, buf, 0);
  // The kernel wants the home address as destination and the care-of address in the header.
  if (out.homeAddress !== null) return sock.send({ data, src: out.src, dst: out.homeAddress, routingHeader: out.dst });
  return sock.send({ data, src: out.src, dst: out.dst });
}
