// `mcoad --help [ROLE]`: the usage, and per role what it does, its section of the
// configuration and what a reload does with each key (from the reload rules themselves,
// so the help cannot drift from what the daemon does). Pure: text out.
import type { Role } from '../config/index.js';
import { closest } from '../config/suggest.js';
import { RELOAD_RULES } from './service/reload-rules.js';

export const ROLES: readonly Role[] = ['home-agent', 'mobile-node', 'correspondent'];

export const USAGE = `usage: mcoad --config FILE | --check-config FILE | --version | --help [ROLE]
  --config FILE         run the role the file names (role:) in the foreground
  --check-config FILE   validate FILE and the system checks that need no privileges; print
                        warnings and what was not checked; exit 0 (valid) or 1 (invalid)
  --help ROLE           what ROLE does, its configuration and what a reload applies
roles: ${ROLES.join(', ')}`;

interface RoleText {
  what: string;
  section: string;
  example: string;
}

const TEXT: Readonly<Record<Role, RoleText>> = {
  'home-agent': {
    what: 'keeps the binding cache of mobile nodes with several care-of addresses (one binding per BID),\nanswers Binding Updates, and programs the tunnels, routes, proxy entries and XFRM objects\nthat forward to them.',
    section: 'home_agent: interface, address, served_prefixes, max_lifetime, mcoa, authorisation, ...',
    example: 'examples/mcoad.yaml (installed: /etc/mcoad/mcoad.yaml)',
  },
  'mobile-node': {
    what: 'registers the care-of addresses of its interfaces with its home agent (bulk or one by one),\nreturns home as draft-04 Appendix A describes, and runs route optimisation with correspondents.',
    section: 'mobile_node: home_address, home_agent, interfaces, bulk, lifetime, home_link_policy, ipsec, ...',
    example: 'examples/mcoad-mobile-node.yaml',
  },
  correspondent: {
    what: 'answers return routability and Binding Updates with BID sub-options from mobile nodes,\nand sends traffic to their home addresses directly (route optimisation).',
    section: 'correspondent: address, max_lifetime, mcoa, nonce_regenerate',
    example: 'the README, "The correspondent role"',
  },
};

/** The help of one role; undefined for a name that is not a role. */
export function roleHelp(role: string): string | undefined {
  if (!(ROLES as readonly string[]).includes(role)) return undefined;
  const r = role as Role;
  const t = TEXT[r];
  const lines = [`mcoad, role: ${r}`, '', t.what, '', `configuration: ${t.section}`, `example: ${t.example}`, ''];
  const rules = RELOAD_RULES[r];
  if (!rules) {
    lines.push('reload (SIGHUP, mcoactl reload): this role does not reload; restart it to apply a change.');
  } else {
    lines.push('reload (SIGHUP, mcoactl reload), key by key:');
    // Aligned for the common keys; the few long per-home-address paths just run over.
    const width = Math.min(44, Math.max(...Object.keys(rules).map((k) => k.length)));
    for (const [key, rule] of Object.entries(rules)) {
      lines.push(`  ${key.padEnd(width)}  ${'live' in rule ? `applied: ${rule.live}` : `restart: ${rule.restart}`}`);
    }
  }
  return lines.join('\n');
}

/** "did you mean" for a mistyped role. */
export const closestRole = (name: string): string | undefined => closest(name, ROLES, 3);
