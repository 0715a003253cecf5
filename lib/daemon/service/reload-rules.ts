// What a reload does with each configuration key, per role: applied at once (and how), or
// left for the next restart (and why). Pure: the running file and the new one in, the
// changed keys sorted into the two lists `mcoactl reload` prints. A rule names a key path
// as the configuration's problems do (`home_agent.mcoa`, `kernel.table`), free-form keys
// (home addresses) as `[*]`; it covers that key and everything below it. Every key the
// readers accept has a rule (test/unit/daemon/reload-rules.test.ts derives the keys from
// the readers' own lists), so none is silently ignored.
import type { Role } from '../../config/index.js';
import { joinPath, schemaPath } from '../../config/reader.js';

export type ReloadRule = { readonly live: string } | { readonly restart: string };

const live = (how: string): ReloadRule => ({ live: how });
const restart = (why: string): ReloadRule => ({ restart: why });

const CORE = 'the protocol core is rebuilt from the file, bindings kept';
const MARKS = 'objects marked the old way would be left behind (mcoactl purge removes them)';

const COMMON: Readonly<Record<string, ReloadRule>> = {
  role: restart('another role is another daemon'),
  state_directory: restart('the journal is open (and locked) there'),
  control: restart('the control socket is bound with its path, group and mode'),
  log_level: live("the logger's level changes at once"),
  netns: restart('the sockets were opened in that namespace'),
  metrics: restart('the metrics endpoint is bound at start'),
  'kernel.route_protocol': restart(MARKS),
  'kernel.tunnel_prefix': restart(MARKS),
  'kernel.nexthop_id_base': restart(MARKS),
  'kernel.nexthop_id_count': restart(MARKS),
  'kernel.table': restart(MARKS),
};

const HOME_AGENT: Readonly<Record<string, ReloadRule>> = {
  ...COMMON,
  'kernel.resync_interval': live('the resync timer restarts with the new period'),
  'ipsec.required': live(CORE),
  wire_profile: live(CORE),
  'home_agent.interface': live('forwarding and proxy_ndp are set on the new home link; proxy entries move in the next kernel pass'),
  'home_agent.address': live(`${CORE}; the signalling policies follow`),
  'home_agent.served_prefixes': live(CORE),
  'home_agent.max_lifetime': live(CORE),
  'home_agent.home_binding_lifetime': live(CORE),
  'home_agent.mcoa': live(CORE),
  'home_agent.key_management_mobility': live(CORE),
  'home_agent.mobile_router_support': live(CORE),
  'home_agent.authorisation.default': live(CORE),
  'home_agent.authorisation.home_addresses': live(CORE),
  'home_agent.authorisation.home_addresses[*].allowed': live(CORE),
  'home_agent.authorisation.home_addresses[*].mcoa': live(CORE),
  'home_agent.authorisation.home_addresses[*].mobile_router': live(CORE),
  'home_agent.authorisation.home_addresses[*].mobile_network_prefixes': live(`${CORE}; routes follow in the next kernel pass`),
  'home_agent.authorisation.home_addresses[*].ipsec': live('the signalling SAs and policies follow the file'),
  'home_agent.binding_refresh_request': live(CORE),
  'home_agent.prefix_discovery': live('advertised lifetimes change; registered mobile nodes get an unsolicited advertisement (RFC 6275 §10.6.2)'),
  'home_agent.dataplane': restart('the kernel objects are reconciled in the design chosen at start (a restart moves them)'),
  'home_agent.proxy_nd': restart('the proxy ND socket or the kernel proxy entries are chosen at start (a restart moves them)'),
  'home_agent.dhaad': live('the own Home Agents List entry follows; other anycast addresses reopen the socket, the learnt list kept (daemon/ha/dhaad.ts)'),
  limits: live(`${CORE}; a lowered cap refuses only growth, existing bindings stay`),
  cluster: restart('the etcd client, its lease and the elections are set up at start'),
};

const MN_ADDRESSING = 'the Binding Update List and the kernel objects are built on it';
const MOBILE_NODE: Readonly<Record<string, ReloadRule>> = {
  ...COMMON,
  'kernel.resync_interval': restart('the resync timer is set at start'),
  'ipsec.required': restart('the signalling policies are installed at start'),
  wire_profile: restart('the codec is built at start'),
  'mobile_node.home_address': restart(MN_ADDRESSING),
  'mobile_node.home_agent': restart(MN_ADDRESSING),
  'mobile_node.home_prefix_length': restart(MN_ADDRESSING),
  'mobile_node.routes': restart('the routes over the tunnels are planned at start'),
  'mobile_node.lifetime': restart('registrations in flight carry the old lifetime'),
  'mobile_node.multiple_coa': restart('registrations in flight are of the old kind'),
  'mobile_node.bootstrap_overwrite': restart('applies to the first registration after a start'),
  'mobile_node.bid_conflict': restart('read by the core at start'),
  'mobile_node.key_management_mobility': restart('read by the core at start'),
  'mobile_node.flows': live('the registrations are sent again with the new flows; the uplink filters follow'),
  'mobile_node.ipsec': restart('the SAs are installed at start'),
  'mobile_node.interfaces': live('a removed interface is de-registered and its BID released; a new one is watched'),
  'mobile_node.bulk': live('the next registration is bulk or one by one'),
  'mobile_node.home_link_policy': live('applies the next time the home link is seen'),
  limits: restart('only a home agent has limits (the file is refused for this role)'),
  'mobile_node.correspondents': live('a new one gets return routability, a removed one a de-registration'),
};

const CN_NEXT = 'read for each message: the next BU and CoTI follow it, bindings keep what they were granted';
const CORRESPONDENT: Readonly<Record<string, ReloadRule>> = {
  ...COMMON,
  'kernel.resync_interval': live('the resync timer restarts with the new period'),
  'ipsec.required': live('nothing to change: a correspondent checks Binding Updates by return routability, not IPsec'),
  wire_profile: live(CN_NEXT),
  'correspondent.address': restart('the route-optimisation objects and every binding were made at this address'),
  'correspondent.max_lifetime': live(CN_NEXT),
  'correspondent.mcoa': live(CN_NEXT),
  'correspondent.nonce_regenerate': restart('the nonce table was built on the schedule; tokens handed out keep their nonces'),
  'correspondent.kcn_rotate': restart('the nonce table was built on the schedule; tokens handed out keep their nonces'),
  limits: live('the caps change at once; a lowered max_bindings refuses only growth, existing bindings stay'),
};

/** Roles whose running daemon applies a reload (every role mcoad runs). */
export const RELOAD_RULES: Readonly<Partial<Record<Role, Readonly<Record<string, ReloadRule>>>>> = {
  'home-agent': HOME_AGENT,
  'mobile-node': MOBILE_NODE,
  correspondent: CORRESPONDENT,
};

/** The rule for a key path (its own or the nearest ancestor's); undefined: no rule. */
export function ruleFor(rules: Readonly<Record<string, ReloadRule>>, path: string): { key: string; rule: ReloadRule } | undefined {
  for (let p = schemaPath(path); p !== ''; p = parentPath(p)) {
    const rule = rules[p];
    if (rule) return { key: p, rule };
  }
  return undefined;
}

function parentPath(p: string): string {
  const cut = Math.max(p.lastIndexOf('.'), p.endsWith(']') ? p.lastIndexOf('[') : -1);
  return cut <= 0 ? '' : p.slice(0, cut);
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Key paths (configuration notation) of the leaves whose value differs between the two files; a section on one side only is compared with an empty one. */
export function changedPaths(a: unknown, b: unknown, path = ''): string[] {
  const section = (v: unknown): Plain | undefined => (isPlain(v) ? v : v === undefined || v === null ? {} : undefined);
  const x = section(a);
  const y = section(b);
  if (x && y && (isPlain(a) || isPlain(b))) {
    const out: string[] = [];
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) out.push(...changedPaths(x[k], y[k], joinPath(path, k)));
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

export interface ReloadItem {
  key: string;
  /** How it was applied, or why it waits for a restart. */
  detail: string;
}

export interface ReloadPlan {
  applied: ReloadItem[];
  /** Keys whose new value waits for the next restart; the running daemon keeps the old one. */
  notApplied: ReloadItem[];
}

/**
 * Sorts the changes: `applied` from the previous file to the new one, `notApplied` from the
 * file the daemon started with to the new one (still pending until a restart, however many
 * reloads ago they were made). A key no rule covers waits for a restart.
 */
export function planReload(role: Role, started: unknown, previous: unknown, next: unknown): ReloadPlan {
  const rules = RELOAD_RULES[role] ?? {};
  const applied = new Map<string, string>();
  const notApplied = new Map<string, string>();
  for (const p of changedPaths(previous, next)) {
    const r = ruleFor(rules, p);
    if (r && 'live' in r.rule) applied.set(r.key, r.rule.live);
  }
  for (const p of changedPaths(started, next)) {
    const r = ruleFor(rules, p);
    if (!r) notApplied.set(schemaPath(p), RELOAD_RULES[role] ? 'no reload rule for this key' : `the ${role} role does not reload`);
    else if ('restart' in r.rule) notApplied.set(r.key, r.rule.restart);
  }
  const items = (m: Map<string, string>): ReloadItem[] => [...m].map(([key, detail]) => ({ key, detail }));
  return { applied: items(applied), notApplied: items(notApplied) };
}
