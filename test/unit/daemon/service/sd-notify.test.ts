// sd_notify over our own socket layer: a receiving AF_UNIX datagram socket (bound to a path,
// and to an abstract name) plays systemd's part and reads what the daemon would send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SdNotifier, extendStart, formatNotify, startWatchdog, watchdogIntervalMs } from '../../../../lib/daemon/service/sd-notify.js';
import { FdWatch } from '../../../../lib/platform/sys/poll.js';
import { receiver } from './notify-receiver.js';

function tempBase(): { base: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), 'mcoa-notify-'));
  return { base, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

test('READY, STATUS, RELOADING, STOPPING and WATCHDOG reach a socket bound to a path', () => {
  const { base, cleanup } = tempBase();
  const path = join(base, 'notify');
  const r = receiver(path);
  try {
    const n = SdNotifier.fromEnv({ NOTIFY_SOCKET: path });
    assert.ok(n);
    assert.equal(n.ready('12 bindings'), null);
    assert.equal(n.status('2 bindings\nlast error: none'), null);
    assert.equal(n.reloading(), null);
    assert.equal(n.stopping(), null);
    assert.equal(n.watchdog(), null);
    const got = r.take();
    assert.equal(got.length, 5);
    assert.equal(got[0], 'READY=1\nSTATUS=12 bindings');
    assert.equal(got[1], 'STATUS=2 bindings last error: none', 'a STATUS stays one line');
    assert.match(got[2]!, /^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$/);
    assert.equal(got[3], 'STOPPING=1');
    assert.equal(got[4], 'WATCHDOG=1');
  } finally {
    r.close();
    cleanup();
  }
});

test('an @abstract NOTIFY_SOCKET name is reached without touching the file system', () => {
  const name = `@mcoa-test-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const r = receiver(name);
  try {
    assert.equal(SdNotifier.fromEnv({ NOTIFY_SOCKET: name })!.ready(), null);
    assert.deepEqual(r.take(), ['READY=1']);
  } finally {
    r.close();
  }
});

test('no NOTIFY_SOCKET: no notifier; an unsupported address or a socket nobody listens on is an error, not a crash', () => {
  assert.equal(SdNotifier.fromEnv({}), null);
  assert.equal(SdNotifier.fromEnv({ NOTIFY_SOCKET: '' }), null);
  assert.throws(() => SdNotifier.fromEnv({ NOTIFY_SOCKET: 'vsock:2:1234' }), /only a path or an @abstract name/);
  const { base, cleanup } = tempBase();
  try {
    const err = new SdNotifier(join(base, 'nobody')).ready();
    assert.equal(err?.code, 'ENOENT');
  } finally {
    cleanup();
  }
  assert.throws(() => new SdNotifier(`/${'x'.repeat(200)}`), RangeError);
});

test('formatNotify refuses keys that are not sd_notify assignments', () => {
  assert.equal(formatNotify({ READY: 1, STATUS: 'ok' }), 'READY=1\nSTATUS=ok');
  assert.throws(() => formatNotify({ 'READY=1\nX': 1 }), TypeError);
});

const intervals: [string, NodeJS.ProcessEnv, number | null][] = [
  ['off without WATCHDOG_USEC', {}, null],
  ['half of WATCHDOG_USEC', { WATCHDOG_USEC: '20000000' }, 10_000],
  ['WATCHDOG_PID naming this process', { WATCHDOG_USEC: '3000000', WATCHDOG_PID: '77' }, 1500],
  ['WATCHDOG_PID naming another process: not ours', { WATCHDOG_USEC: '3000000', WATCHDOG_PID: '78' }, null],
  ['garbage is off', { WATCHDOG_USEC: '10s' }, null],
  ['zero is off', { WATCHDOG_USEC: '0' }, null],
];
for (const [name, env, ms] of intervals) {
  test(`watchdog interval: ${name}`, () => assert.equal(watchdogIntervalMs(env, 77), ms));
}

test('the watchdog pings WATCHDOG=1 repeatedly from the event loop until stopped', async () => {
  const { base, cleanup } = tempBase();
  const path = join(base, 'notify');
  const r = receiver(path);
  const errors: unknown[] = [];
  // 50 ms between pings (WATCHDOG_USEC=100000); the test waits for three, however slow the machine.
  const interval = watchdogIntervalMs({ WATCHDOG_USEC: '100000' });
  assert.equal(interval, 50);
  const dog = startWatchdog(new SdNotifier(path), interval!, (e) => errors.push(e));
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    const watch = new FdWatch(r.fd, {
      readable: () => {
        got.push(...r.take());
        if (got.length >= 3) {
          watch.close();
          resolve();
        }
      },
    });
  });
  dog.stop();
  try {
    assert.deepEqual(got.slice(0, 3), ['WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1']);
    assert.deepEqual(errors, []);
  } finally {
    r.close();
    cleanup();
  }
});

test('a start in progress asks for more time (EXTEND_TIMEOUT_USEC) until it is stopped', async () => {
  const { base, cleanup } = tempBase();
  const path = join(base, 'notify');
  const r = receiver(path);
  const errors: unknown[] = [];
  const ext = extendStart(new SdNotifier(path), 20, 30_000_000, (e) => errors.push(e));
  const got: string[] = [];
  await new Promise<void>((resolve) => {
    const watch = new FdWatch(r.fd, {
      readable: () => {
        got.push(...r.take());
        if (got.length >= 2) {
          watch.close();
          resolve();
        }
      },
    });
  });
  ext.stop();
  try {
    assert.deepEqual(got.slice(0, 2), ['EXTEND_TIMEOUT_USEC=30000000', 'EXTEND_TIMEOUT_USEC=30000000']);
    assert.deepEqual(errors, []);
  } finally {
    r.close();
    cleanup();
  }
});
