// The two kernel switches a home agent needs on the home link: IPv6 forwarding (it routes
// intercepted packets into tunnels) and proxy_ndp (it answers for away nodes' addresses).
import type { SysctlPort } from '../service/host.js';

const SETTINGS = (homeLink: string): [string, string][] => [
  ['/proc/sys/net/ipv6/conf/all/forwarding', '1'],
  [`/proc/sys/net/ipv6/conf/${homeLink}/proxy_ndp`, '1'],
];

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
