// The control socket commands of a running home agent (lib/control/protocol.ts shapes).
import { loadConfigFile, ConfigFileError, type HomeAgentDaemonConfig } from '../../config/index.js';
import { HomeAgent } from '../../proto/ha/home-agent.js';
import { ControlError, type ControlServer } from '../../control/server.js';
import type { BindingView, DelResult, ReloadResult, StatsView } from '../../control/protocol.js';
import { bindingView } from '../../control/views.js';
import { canonicalIp6 } from '../../inet/ip6.js';
import type { HomeAgentDaemon } from './daemon.js';
import { readXfrmStat } from '../xfrm-stat.js';

function hoaArg(v: unknown): string {
  const hoa = typeof v === 'string' ? canonicalIp6(v) : null;
  if (hoa === null) throw new ControlError('BAD_ARGS', `not an IPv6 home address: ${JSON.stringify(v)}`);
  return hoa;
}

function bidArg(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new ControlError('BAD_ARGS', `BID must be 0..65535, not ${JSON.stringify(v)}`);
  return v;
}

/** Settings a reload cannot change while sockets and files are open. */
function fixedSettingsChanged(a: HomeAgentDaemonConfig, b: HomeAgentDaemonConfig): string[] {
  const out: string[] = [];
  if (a.stateDirectory !== b.stateDirectory) out.push('state_directory');
  if (a.control.path !== b.control.path) out.push('control.path');
  if (a.netns !== b.netns) out.push('netns');
  if (JSON.stringify(a.marks) !== JSON.stringify(b.marks)) out.push('kernel marks');
  return out;
}

export function registerHandlers(server: ControlServer, d: HomeAgentDaemon): void {
  server.register('show-bindings', async (args): Promise<BindingView[]> => {
    const now = Date.now();
    const only = args['hoa'] === undefined ? undefined : hoaArg(args['hoa']);
    const list = only === undefined ? [...d.ha.cache] : [...d.ha.cache.bindingsOf(only)];
    return list.map((b) => bindingView(b, now));
  });

  server.register('show-stats', async (): Promise<StatsView> => {
    const counters = d.counters.snapshot();
    counters['kernel'] = { ...d.kernel.totals, pending: d.kernel.kernel.reconciler.pendingCount() };
    counters['socket'] = { ...d.mh.stats };
    counters['store'] = { ...d.store.stats };
    // /proc/net is this process's namespace: only meaningful when the sockets live there too.
    const xfrm = d.cfg.netns === null ? await readXfrmStat() : undefined;
    if (xfrm) counters['xfrm'] = xfrm;
    return {
      uptimeSeconds: Math.floor((Date.now() - d.startedAtMs) / 1000),
      bindings: d.ha.cache.size,
      homeAddresses: d.ha.cache.homeAddressCount,
      counters,
    };
  });

  server.register('del-binding', async (args): Promise<DelResult> => {
    const hoa = hoaArg(args['hoa']);
    const events = d.ha.removeByOperator(hoa, bidArg(args['bid']));
    if (events.length === 0) throw new ControlError('NOT_FOUND', `no binding for ${hoa}${args['bid'] === undefined ? '' : ` BID ${String(args['bid'])}`}`);
    d.log.info({ hoa, bid: args['bid'], removed: events.length }, 'bindings removed by the operator');
    return { removed: await d.applyOperatorEvents(events) };
  });

  server.register('flush', async (): Promise<DelResult> => {
    const events = d.ha.flushByOperator();
    d.log.info({ removed: events.length }, 'binding cache flushed by the operator');
    return { removed: await d.applyOperatorEvents(events) };
  });

  server.register('reload', async (): Promise<ReloadResult> => reload(d));
}

/** Re-reads the configuration file; bindings stay (they move into a core built from it). */
export async function reload(d: HomeAgentDaemon): Promise<ReloadResult> {
  let next: HomeAgentDaemonConfig;
  try {
    next = await loadConfigFile(d.cfg.path ?? d.cfg.file);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ControlError('CONFIG_INVALID', err.message);
    throw err;
  }
  const fixed = fixedSettingsChanged(d.cfg, next);
  const warnings = [...next.warnings, ...fixed.map((k) => `${k} changed: takes effect at the next restart`)];
  const old = d.ha;
  const ha = new HomeAgent(next.homeAgent);
  const sequences = new Map<string, number>();
  for (const hoa of old.cache.homeAddresses()) sequences.set(hoa, old.cache.lastSequence(hoa) ?? 0);
  ha.restore(old.cache, sequences, Date.now());
  d.ha = ha;
  d.cfg = { ...next, stateDirectory: d.cfg.stateDirectory, control: d.cfg.control, netns: d.cfg.netns, marks: d.cfg.marks };
  d.setXfrm(); // the signalling SAs follow the file
  d.kernel.schedule();
  for (const w of warnings) d.log.warn({ config: next.file }, w);
  d.log.info({ bindings: ha.cache.size }, 'configuration reloaded');
  return { warnings };
}
