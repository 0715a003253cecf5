// What a reload (SIGHUP, `mcoactl reload`) of a mobile node can change while it runs, and
// what waits for a restart. Pure: the old and new configurations in, a plan out.
// Live: bulk registration, the home-link policy, the candidate interfaces (a removed one is
// de-registered and its BID released), the correspondents (a removed one gets a
// de-registration), the RFC 6089 flows (registrations sent again, uplink filters replanned),
// the log level. Everything that names an address, a
// key, a socket or a kernel object stays as it was until the next start, with a warning.
import type { MobileNodeDaemonConfig } from '../../config/index.js';
import type { OperatorCommand } from '../../proto/mn/index.js';
import { mustParseIp6 } from '../../inet/ip6.js';

export interface MnReloadPlan {
  /** Operator commands for the core, in order. */
  commands: OperatorCommand[];
  /** The new candidate interface list, when it changed. */
  interfaces: string[] | null;
  logLevel: string | null;
  /** Configuration keys whose change takes effect at the next restart. */
  restartKeys: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function planMobileNodeReload(a: MobileNodeDaemonConfig, b: MobileNodeDaemonConfig): MnReloadPlan {
  const m = a.mobileNode;
  const n = b.mobileNode;
  const restartKeys: string[] = [];
  const fixed: [string, unknown, unknown][] = [
    ['mobile_node.home_address', m.homeAddress, n.homeAddress],
    ['mobile_node.home_agent', m.homeAgent, n.homeAgent],
    ['mobile_node.home_prefix_length', m.homePrefixLength, n.homePrefixLength],
    ['mobile_node.routes', m.routes.map((p) => p.text), n.routes.map((p) => p.text)],
    ['mobile_node.lifetime', m.lifetimeSeconds, n.lifetimeSeconds],
    ['mobile_node.multiple_coa', m.multipleCoa, n.multipleCoa],
    ['mobile_node.bootstrap_overwrite', m.bootstrapOverwrite, n.bootstrapOverwrite],
    ['mobile_node.bid_conflict', m.bidConflict, n.bidConflict],
    ['mobile_node.key_management_mobility', m.keyManagementMobility, n.keyManagementMobility],
    ['ipsec', [m.ipsecRequired, ipsecOf(a)], [n.ipsecRequired, ipsecOf(b)]],
    ['wire_profile', m.profile, n.profile],
    ['state_directory', a.stateDirectory, b.stateDirectory],
    ['control', a.control, b.control],
    ['netns', a.netns, b.netns],
    ['kernel', [a.marks, a.resyncIntervalSeconds], [b.marks, b.resyncIntervalSeconds]],
  ];
  for (const [key, x, y] of fixed) if (!same(x, y)) restartKeys.push(key);

  const commands: OperatorCommand[] = [];
  if (m.bulk !== n.bulk) commands.push({ op: 'setBulk', enabled: n.bulk });
  if (m.homeLinkPolicy !== n.homeLinkPolicy) commands.push({ op: 'setHomeLinkPolicy', policy: n.homeLinkPolicy });
  if (!same(m.flows, n.flows)) commands.push({ op: 'setFlows', flows: n.flows });
  for (const iface of m.interfaces) if (!n.interfaces.includes(iface)) commands.push({ op: 'forgetInterface', iface });
  for (const cn of n.correspondents) if (!m.correspondents.includes(cn)) commands.push({ op: 'addCorrespondent', address: mustParseIp6(cn) });
  for (const cn of m.correspondents) if (!n.correspondents.includes(cn)) commands.push({ op: 'removeCorrespondent', address: mustParseIp6(cn) });
  return {
    commands,
    interfaces: same(m.interfaces, n.interfaces) ? null : [...n.interfaces],
    logLevel: a.logLevel === b.logLevel ? null : b.logLevel,
    restartKeys,
  };
}

/** The SAs compared by value without ever printing them. */
function ipsecOf(c: MobileNodeDaemonConfig): unknown {
  const s = c.mobileNode.ipsec;
  const sa = (x: { spiIn: number; spiOut: number; aead: { name: string; key: Uint8Array; icvBits: number } }): unknown[] =>
    [x.spiIn, x.spiOut, x.aead.name, Buffer.from(x.aead.key).toString('hex'), x.aead.icvBits];
  return s ? [...sa(s), s.reqid ?? null, s.payload ? sa(s.payload) : null] : null;
}
