// The control socket commands of a running mobile node: its Binding Update List in the
// home agent's BindingView shape (so `mcoactl show bindings` renders it), plus the list
// entry's peer and state, counters, and reload.
import { ConfigFileError, loadAnyConfigFile } from '../../config/index.js';
import type { BindingView, ReloadResult, StatsView } from '../../control/protocol.js';
import { ControlError, type ControlServer } from '../../control/server.js';
import type { BulView } from '../../proto/mn/index.js';
import type { MobileNodeDaemon } from './daemon.js';

/** A Binding Update List entry as `show bindings` returns it on a mobile node. */
export interface MnBindingView extends BindingView {
  peer: string;
  state: BulView['state'];
  iface: string | null;
}

export function mnBindingView(hoa: string, e: BulView, nowMs: number): MnBindingView {
  return {
    hoa,
    bid: e.bid ?? 0,
    coa: e.careOf ?? '',
    flags: e.role === 'ha' ? ['H'] : [],
    lifetimeLeftSeconds: e.expiresAtMs === null ? 0 : Math.max(0, Math.floor((e.expiresAtMs - nowMs) / 1000)),
    lifetimeSeconds: e.lifetimeSeconds ?? 0,
    sequence: e.sequence ?? 0,
    homeBinding: e.homeBinding,
    mobileNetworkPrefixes: [],
    peer: e.peer,
    state: e.state,
    iface: e.iface,
  };
}

/** Re-reads the configuration file and applies it (MobileNodeDaemon.reload). */
export async function reloadMobileNode(d: MobileNodeDaemon): Promise<ReloadResult> {
  let next;
  try {
    next = await loadAnyConfigFile(d.cfg.path ?? d.cfg.file);
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ControlError('CONFIG_INVALID', err.message);
    throw err;
  }
  if (next.role !== 'mobile-node') throw new ControlError('CONFIG_INVALID', `${d.cfg.file}: role changed to ${next.role}: restart to apply`);
  return { warnings: d.reload(next) };
}

export function registerMobileNodeHandlers(server: ControlServer, d: MobileNodeDaemon): void {
  server.register('show-bindings', async (): Promise<MnBindingView[]> => {
    const now = Date.now();
    return d.core.bindingUpdateList().map((e) => mnBindingView(d.cfg.mobileNode.homeAddress, e, now));
  });

  server.register('reload', async (): Promise<ReloadResult> => reloadMobileNode(d));

  server.register('show-stats', async (): Promise<StatsView> => {
    const counters = d.counters.snapshot();
    counters['kernel'] = { ...d.kernel.totals, pending: d.kernel.reconciler.pendingCount() };
    counters['socket'] = { ...d.mh.stats };
    const list = d.core.bindingUpdateList();
    return {
      uptimeSeconds: Math.floor((Date.now() - d.startedAtMs) / 1000),
      bindings: list.filter((e) => e.state === 'registered').length,
      homeAddresses: 1,
      counters,
    };
  });
}
