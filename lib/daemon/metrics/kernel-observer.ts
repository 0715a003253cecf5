// The reconciler's passes, kernel operations and resyncs as catalog metrics.
import type { PassObserver } from '../../reconcile/pass-scheduler.js';
import type { Metrics } from './metrics.js';

export function kernelObserver(metrics: Metrics): PassObserver {
  return {
    pass: (seconds) => metrics.observe('reconcile_pass', seconds),
    operation: (kind, op, errno) => {
      if (errno === null) metrics.inc('kernel_operations', { kind, op });
      else metrics.inc('kernel_failures', { kind, op, errno });
    },
    resync: (cause) => metrics.inc('kernel_resyncs', { cause }),
  };
}
