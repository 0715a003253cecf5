// The control socket commands of a running correspondent: its binding cache in the home
// agent's BindingView shape (`mcoactl show bindings [HOA] [--json]`), counters, and the
// operator's removals (`del binding`, `flush`), which take the kernel objects with them.
import type { BindingView, DelResult, StatsView } from '../../control/protocol.js';
import { ControlError, type ControlServer } from '../../control/server.js';
import { bindingView } from '../../control/views.js';
import { ChangeSet } from '../../proto/common/changes.js';
import { canonicalIp6 } from '../../inet/ip6.js';
import type { CorrespondentDaemon } from './daemon.js';

function hoaArg(v: unknown): string {
  const hoa = typeof v === 'string' ? canonicalIp6(v) : null;
  if (hoa === null) throw new ControlError('BAD_ARGS', `not an IPv6 home address: ${JSON.stringify(v)}`);
  return hoa;
}

export function registerCorrespondentHandlers(server: ControlServer, d: CorrespondentDaemon): void {
  server.register('show-bindings', async (args): Promise<BindingView[]> => {
    const now = Date.now();
    const only = args['hoa'] === undefined ? undefined : hoaArg(args['hoa']);
    const list = only === undefined ? [...d.cn.cache] : [...d.cn.cache.bindingsOf(only)];
    return list.map((b) => bindingView(b, now));
  });

  server.register('show-stats', async (): Promise<StatsView> => {
    const counters = d.counters.snapshot();
    counters['kernel'] = { ...d.kernel.totals, pending: d.kernel.reconciler.pendingCount() };
    counters['socket'] = { ...d.mh.stats };
    counters['store'] = { ...d.store.stats };
    counters['nonces'] = { held: d.cn.nonces.size };
    return {
      uptimeSeconds: Math.floor((Date.now() - d.startedAtMs) / 1000),
      bindings: d.cn.cache.size,
      homeAddresses: d.cn.cache.homeAddressCount,
      counters,
    };
  });

  const remove = async (hoas: string[], bid?: number): Promise<DelResult> => {
    const changes = new ChangeSet(d.cn.cache);
    for (const hoa of hoas) {
      if (bid === undefined) changes.removeAll(hoa, 'administrative');
      else changes.remove(hoa, bid, 'administrative');
    }
    return { removed: await d.applyOperatorEvents(changes.events) };
  };

  server.register('del-binding', async (args): Promise<DelResult> => {
    const hoa = hoaArg(args['hoa']);
    const raw = args['bid'];
    if (raw !== undefined && raw !== null && (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 65535)) {
      throw new ControlError('BAD_ARGS', `BID must be 0..65535, not ${JSON.stringify(raw)}`);
    }
    const r = await remove([hoa], typeof raw === 'number' ? raw : undefined);
    if (r.removed === 0) throw new ControlError('NOT_FOUND', `no binding for ${hoa}`);
    return r;
  });

  server.register('flush', async (): Promise<DelResult> => remove([...d.cn.cache.homeAddresses()]));
}
