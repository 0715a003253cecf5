// What a mobile node does with a Home Agent Switch (RFC 5142 §6). Pure: the message's
// sender and addresses, and the home agent the node is registered with.
//
// - Only the home agent the node registers with may move it (§6.1), by source address; ESP on
//   it (an inbound XFRM policy for MH type 12 under `mobile_node.ipsec`) is not yet required.
// - The addresses are in order of preference (§4); the node takes them in that order,
//   without the sender itself, duplicates, or addresses no home agent can have
//   (unspecified, loopback, multicast, link-local).
// - No address at all: the node runs DHAAD (§4, §6.2). A list that named only unusable
//   addresses is refused rather than read as "discover": the sender meant something else.
import { formatIp6, type Ip6 } from '../../inet/ip6.js';

export type HomeAgentSwitchVerdict =
  | { accept: false; why: string }
  /** candidates empty: find a home agent by DHAAD. */
  | { accept: true; candidates: Ip6[] };

function usable(a: Uint8Array): boolean {
  if (a[0] === 0xff) return false; // multicast
  if (a[0] === 0xfe && (a[1]! & 0xc0) === 0x80) return false; // link-local fe80::/10
  const zeroUpTo15 = a.subarray(0, 15).every((x) => x === 0);
  return !(zeroUpTo15 && (a[15] === 0 || a[15] === 1)); // :: and ::1
}

export function homeAgentSwitchVerdict(from: Ip6, currentHomeAgent: Ip6, homeAgents: readonly Uint8Array[]): HomeAgentSwitchVerdict {
  if (from !== currentHomeAgent) return { accept: false, why: `sent by ${from}, not by the home agent ${currentHomeAgent}` };
  if (homeAgents.length === 0) return { accept: true, candidates: [] };
  const candidates: Ip6[] = [];
  for (const a of homeAgents) {
    const text = formatIp6(a);
    if (!usable(a) || text === from || candidates.includes(text)) continue;
    candidates.push(text);
  }
  if (candidates.length === 0) return { accept: false, why: 'no usable address other than the sender in the list' };
  return { accept: true, candidates };
}
