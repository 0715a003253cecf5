// The process's own signals (lib/daemon/service/signals.ts), sent to this test process: once
// claimed, a SIGHUP does not end it but waits for the shell, which gets it when it attaches.
import test from 'node:test';
import assert from 'node:assert/strict';
import { claimProcess, processSignals } from '../../../../lib/daemon/service/signals.js';

/** Sends `signal` to this process and lets its handlers run. */
async function raise(signal: NodeJS.Signals): Promise<void> {
  // A signal listener does not keep the event loop alive; this timer does, until delivery.
  const keepAlive = setInterval(() => undefined, 1000);
  const delivered = new Promise<void>((resolve) => process.once(signal, () => resolve()));
  process.kill(process.pid, signal);
  await delivered;
  clearInterval(keepAlive);
}

test('claimed: the process is mcoad, a SIGHUP before the shell attaches is held and delivered once on attach; SIGTERM stops', async () => {
  claimProcess();
  assert.equal(process.title, 'mcoad');
  // Without the claim this signal would end the test process (SIGHUP's default action).
  await raise('SIGHUP');
  await raise('SIGHUP');
  const seen: string[] = [];
  const detach = processSignals.attach({ reload: () => seen.push('reload'), stop: (s) => seen.push(`stop ${s}`) });
  assert.deepEqual(seen, ['reload'], 'held reloads are delivered once');
  await raise('SIGHUP');
  await raise('SIGTERM');
  assert.deepEqual(seen, ['reload', 'reload', 'stop SIGTERM']);
  detach();
  // Detached: a SIGHUP is held again for the next attach, not handed to the old handlers.
  await raise('SIGHUP');
  assert.deepEqual(seen, ['reload', 'reload', 'stop SIGTERM']);
  const again: string[] = [];
  processSignals.attach({ reload: () => again.push('reload'), stop: () => undefined })();
  assert.deepEqual(again, ['reload']);
});
