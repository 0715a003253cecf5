// What a reload changes in a running home agent. The shell re-reads the file and answers
// the control commands (daemon/service/control-commands.ts, daemon/binding-cache-service.ts); this
// moves the bindings into a core built from the new configuration.
import type { HomeAgentDaemonConfig } from '../../config/index.js';
import { HomeAgent } from '../../proto/ha/home-agent.js';
import type { HomeAgentDaemon } from './daemon.js';

/** Settings a reload cannot change while sockets and files are open. */
function fixedSettingsChanged(a: HomeAgentDaemonConfig, b: HomeAgentDaemonConfig): string[] {
  const out: string[] = [];
  if (a.stateDirectory !== b.stateDirectory) out.push('state_directory');
  if (a.control.path !== b.control.path) out.push('control.path');
  if (a.netns !== b.netns) out.push('netns');
  if (JSON.stringify(a.marks) !== JSON.stringify(b.marks)) out.push('kernel marks');
  return out;
}

/** Applies `next`: bindings stay (they move into a core built from it); returns the warnings. */
export function applyHomeAgentReload(d: HomeAgentDaemon, next: HomeAgentDaemonConfig): string[] {
  const fixed = fixedSettingsChanged(d.cfg, next);
  const warnings = [...next.warnings, ...fixed.map((k) => `${k} changed: takes effect at the next restart`)];
  const old = d.ha;
  const ha = new HomeAgent(next.homeAgent);
  const sequences = new Map<string, number>();
  for (const hoa of old.cache.homeAddresses()) sequences.set(hoa, old.cache.lastSequence(hoa) ?? 0);
  ha.restore(old.cache, sequences, d.clock.now());
  d.ha = ha;
  d.cfg = { ...next, stateDirectory: d.cfg.stateDirectory, control: d.cfg.control, netns: d.cfg.netns, marks: d.cfg.marks };
  d.setXfrm(); // the signalling SAs follow the file
  d.kernel.schedule();
  for (const w of warnings) d.log.warn({ config: next.file }, w);
  d.log.info({ bindings: ha.cache.size }, 'configuration reloaded');
  return warnings;
}
