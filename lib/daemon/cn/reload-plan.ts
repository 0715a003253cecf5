// What a reload (SIGHUP, `mcoactl reload`) of a correspondent changes while it runs. Pure:
// the running configuration and the re-read file in, the configuration to run with out.
// Live: the longest lifetime granted, MCoA on or off, the wire profile (all read per
// message), the resync period, the log level. The rest keeps its running value until the
// next start: the address (the route-optimisation objects and every binding were made at
// it), the nonce schedule (the nonce table was built on it), and what the shell holds (the
// state directory, control socket, namespace, metrics endpoint, kernel marks). Which key
// is which is service/reload-rules.ts's table; the shell names the waiting keys.
import type { CorrespondentDaemonConfig } from '../../config/index.js';

export interface CnReload {
  /** The configuration the daemon runs with after the reload. */
  running: CorrespondentDaemonConfig;
  /** The resync timer needs restarting with the new period. */
  resyncChanged: boolean;
}

export function planCorrespondentReload(current: CorrespondentDaemonConfig, next: CorrespondentDaemonConfig): CnReload {
  const was = current.correspondent;
  const core = { ...next.correspondent.core, nonceRegenerateSeconds: was.core.nonceRegenerateSeconds, kcnRotateSeconds: was.core.kcnRotateSeconds };
  return {
    running: {
      ...current,
      logLevel: next.logLevel,
      resyncIntervalSeconds: next.resyncIntervalSeconds,
      correspondent: { address: was.address, core },
    },
    resyncChanged: next.resyncIntervalSeconds !== current.resyncIntervalSeconds,
  };
}
