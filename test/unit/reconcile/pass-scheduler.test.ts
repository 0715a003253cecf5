// The pass scheduler's retry path: a transient kernel failure is retried with backoff; a
// permanent one (kernel-errors.ts: the kernel lacks the feature) is logged once per kind,
// operation and errno, and schedules no retry.
import test, { mock } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import type { PassReport, Reconciler } from '../../../lib/reconcile/engine.js';
import { PassScheduler } from '../../../lib/reconcile/pass-scheduler.js';
import { KernelError } from '../../../lib/platform/kernel-errors.js';
import { Errno } from '../../../lib/platform/sys/errno.js';

/** A reconciler whose every pass fails the same way. */
function failingReconciler(error: unknown): { reconciler: Reconciler; passes: () => number } {
  let passes = 0;
  const reconciler = {
    pass: async (): Promise<PassReport> => {
      passes++;
      return { created: 0, updated: 0, removed: 0, failed: 1, errors: [{ kind: 'xfrm-state', key: 'k', op: 'create', error }] };
    },
    requestResync: () => undefined,
  } as unknown as Reconciler;
  return { reconciler, passes: () => passes };
}

function logLines(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }), lines };
}

const rows: [string, unknown, number, number][] = [
  // name, error, passes after two passes and a minute of timers, error-level lines
  ['EPROTONOSUPPORT (no mip6): reported once, not retried', new KernelError(Errno.EPROTONOSUPPORT, 'XFRM_MSG_NEWSA route2'), 2, 1],
  ['EOPNOTSUPP (no ip6tnl): reported once, not retried', new KernelError(Errno.EOPNOTSUPP, 'RTM_NEWLINK ip6tnl'), 2, 1],
  ['EBUSY: transient, retried with backoff', new KernelError(Errno.EBUSY, 'RTM_NEWROUTE'), 3, 0],
];

for (const [name, error, passes, errors] of rows) {
  test(`pass scheduler: ${name}`, async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const f = failingReconciler(error);
      const { log, lines } = logLines();
      const s = new PassScheduler(f.reconciler, log);
      await s.passNow();
      await s.passNow();
      mock.timers.tick(60_000); // the first retry is due after 100 ms; at most one is armed
      await s.stop();
      assert.equal(f.passes(), passes);
      assert.equal(lines.filter((l) => Number(l['level']) >= 50).length, errors);
      if (errors > 0) assert.match(String(lines.find((l) => Number(l['level']) >= 50)?.['msg']), /does not support .*reported once/);
    } finally {
      mock.timers.reset();
    }
  });
}
