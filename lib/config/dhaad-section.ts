// `home_agent.dhaad`: Dynamic Home Agent Address Discovery (RFC 6275 §10.5). Present, the
// home agent keeps the Home Agents List of its home link and answers DHAAD Requests sent to
// the Home-Agents anycast address of each served prefix. Its own H bit and Home Agent
// Information go out through radvd on the home link with the same preference and lifetime
// (README, "Dynamic home agent discovery").
import type { ConfigReader, Field } from './reader.js';

export const DHAAD_KEYS = ['preference', 'lifetime'] as const;
/** RFC 6275 §7.4: default Home Agent Lifetime is the Router Lifetime; radvd's default is 1800 s. */
export const DEFAULT_HOME_AGENT_LIFETIME = 1800;

export interface HomeAgentDhaadConfig {
  /** Home Agent Preference, -32768..32767 (higher is more preferred). */
  preference: number;
  /** Home Agent Lifetime, 1..65535 s. */
  lifetime: number;
}

export function readDhaad(r: ConfigReader, f: Field): HomeAgentDhaadConfig | undefined {
  const s = r.section(f, DHAAD_KEYS);
  if (!s) return undefined;
  const before = r.problems.length;
  const pf = s.get('preference');
  const lf = s.get('lifetime');
  const preference = (pf && r.integer(pf, -32768, 32767)) ?? 0;
  const lifetime = (lf && r.seconds(lf, 1, 65535)) ?? DEFAULT_HOME_AGENT_LIFETIME;
  return r.problems.length === before ? { preference, lifetime } : undefined;
}
