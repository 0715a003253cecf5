// Control commands every role answers the same way: `show bindings [HOA]`, `show stats` and
// `reload` (monitor is built into the control server). Role-specific commands stay in the
// role's folder; the argument checks they share are here.
import type { BindingView, ReloadResult, StatsView } from '../../control/protocol.js';
import { ControlError, type ControlServer } from '../../control/server.js';
import { canonicalIp6, type Ip6 } from '../../inet/ip6.js';
import type { Metrics } from '../metrics/metrics.js';
import { VERSION } from '../../version.js';
import type { Clock, StorePort } from './host.js';
import type { RoleStats } from './role.js';

/** A home address argument in canonical text; BAD_ARGS otherwise. */
export function hoaArg(v: unknown): Ip6 {
  const hoa = typeof v === 'string' ? canonicalIp6(v) : null;
  if (hoa === null) throw new ControlError('BAD_ARGS', `not an IPv6 home address: ${JSON.stringify(v)}`);
  return hoa;
}

/** An optional Binding Identifier argument (0..65535). */
export function bidArg(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new ControlError('BAD_ARGS', `BID must be 0..65535, not ${JSON.stringify(v)}`);
  return v;
}

export interface CommonCommandSource {
  bindings(only: Ip6 | undefined, nowMs: number): BindingView[];
  stats(): RoleStats | Promise<RoleStats>;
  readonly counters: Metrics;
  readonly store: StorePort | null;
  readonly clock: Clock;
  readonly startedAtMs: number;
  /** Null when the role cannot reload (the command stays unknown). */
  readonly reload: (() => Promise<ReloadResult>) | null;
}

export function registerCommonCommands(server: ControlServer, src: CommonCommandSource): void {
  server.register('show-bindings', (args): BindingView[] => {
    const only = args['hoa'] === undefined ? undefined : hoaArg(args['hoa']);
    return src.bindings(only, src.clock.now());
  });

  server.register('show-stats', async (): Promise<StatsView> => {
    const role = await src.stats();
    const counters = src.counters.snapshot();
    Object.assign(counters, role.counters);
    if (src.store) counters['store'] = { ...src.store.stats };
    return {
      version: VERSION,
      uptimeSeconds: Math.floor((src.clock.now() - src.startedAtMs) / 1000),
      bindings: role.bindings,
      homeAddresses: role.homeAddresses,
      counters,
      ...(role.homeAgent ? { homeAgent: role.homeAgent } : {}),
    };
  });

  server.register('show-metrics', async () => ({ contentType: src.counters.contentType, text: await src.counters.exposition() }));

  const reload = src.reload;
  if (reload) server.register('reload', (): Promise<ReloadResult> => reload());
}
