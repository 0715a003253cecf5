// The two kernel switches a home agent needs on the home link: IPv6 forwarding (it routes
// intercepted packets into tunnels) and proxy_ndp (it answers for away nodes' addresses).
// `all/forwarding` is global: with it on, every interface whose accept_ra is not 2 stops
// accepting router advertisements (its default route and SLAAC addresses age out), so the
// home agent names those interfaces once at start.
import type { SysctlPort } from '../service/host.js';

const SETTINGS = (homeLink: string): [string, string][] => [
  ['/proc/sys/net/ipv6/conf/all/forwarding', '1'],
  [`/proc/sys/net/ipv6/conf/${homeLink}/proxy_ndp`, '1'],
];

const CONF = '/proc/sys/net/ipv6/conf';

/** Interfaces (not lo) whose accept_ra is not 2: with forwarding on they ignore router advertisements. */
export async function interfacesIgnoringRas(sysctl: SysctlPort): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await sysctl.list(CONF)).sort()) {
    if (name === 'all' || name === 'default' || name === 'lo') continue;
    // An interface that went away between the listing and the read is not worth a warning.
    const value = await sysctl.read(`${CONF}/${name}/accept_ra`).then((v) => v.trim(), () => null);
    if (value !== null && value !== '2') out.push(name);
  }
  return out;
}

/** Sets them in the daemon's own network namespace; returns what it changed. Throws with the path on failure. */
export async function enableHomeAgentSysctls(homeLink: string, sysctl: SysctlPort): Promise<string[]> {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(homeLink)) throw new Error(`bad interface name ${JSON.stringify(homeLink)}`);
  const changed: string[] = [];
  for (const [path, value] of SETTINGS(homeLink)) {
    try {
      if ((await sysctl.read(path)).trim() === value) continue;
      await sysctl.write(path, value);
      changed.push(path);
    } catch (err) {
      throw new Error(`cannot set ${path} = ${value}: ${(err as Error).message}`);
    }
  }
  return changed;
}
