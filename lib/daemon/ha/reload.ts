// What a reload changes in a running home agent. The shell re-reads the file, sets the log
// level and the sysctls, and says which keys wait for a restart (service/reload-rules.ts);
// this moves the bindings into a core built from the new configuration, and the kernel's
// desired state and the signalling SAs follow it.
import type { Ip6 } from '../../inet/ip6.js';
import type { HomeAgentDaemonConfig } from '../../config/index.js';
import { homeAgentDesiredFor } from '../../plan/ha/desired.js';
import { HomeAgent } from '../../proto/ha/home-agent.js';
import type { HomeAgentDaemon } from './daemon.js';
import { reloadHomeAgentDhaad } from './dhaad.js';

/** Applies `next`: bindings stay (they move into a core built from it); returns its warnings. */
export function applyHomeAgentReload(d: HomeAgentDaemon, next: HomeAgentDaemonConfig): string[] {
  const warnings = [...next.warnings];
  const old = d.ha;
  const ha = new HomeAgent(next.homeAgent);
  const sequences = new Map<Ip6, number>();
  for (const hoa of old.cache.homeAddresses()) sequences.set(hoa, old.cache.lastSequence(hoa) ?? 0);
  ha.restore(old.cache, sequences, d.clock.now());
  // Cluster shares: each home address keeps the service address it registers with.
  for (const hoa of ha.cache.homeAddresses()) ha.cache.setServiceAddress(hoa, old.cache.record(hoa)?.serviceAddress);
  ha.flows.adopt(old.flows);
  ha.flows.prohibited = old.flows.prohibited; // the data plane stays as started
  d.ha = ha;
  // Sockets, the journal and the kernel marks stay as started (the shell names them).
  d.cfg = { ...next, stateDirectory: d.cfg.stateDirectory, control: d.cfg.control, netns: d.cfg.netns, marks: d.cfg.marks, dataplane: d.cfg.dataplane, proxyNd: d.proxyNd.mode };
  d.setXfrm(); // the signalling SAs follow the file
  // Home link, mobile network prefixes: every home address's objects are planned again.
  for (const hoa of ha.cache.homeAddresses()) d.kernel.index.update(hoa, d.proxyNd.plan(hoa, homeAgentDesiredFor(ha, hoa), true, d.servesHoa(hoa)));
  d.kernel.setResyncInterval(next.resyncIntervalSeconds * 1000);
  d.kernel.schedule();
  d.prefixDiscovery?.reload(d.cfg); // §10.6.2: changed prefixes are advertised at once
  d.dhaad = reloadHomeAgentDhaad(d.dhaad, { ...d.roleContext, cfg: d.cfg });
  for (const w of warnings) d.log.warn({ config: next.file }, w);
  d.log.info({ bindings: ha.cache.size }, 'configuration reloaded');
  return warnings;
}
