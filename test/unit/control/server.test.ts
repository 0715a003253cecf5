// The control socket: file mode and group, stale and live sockets, garbage from clients,
// many clients at once, monitor streams, and the client's error classes.
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient, ControlError, ControlRequestError, ControlServer, DaemonUnreachableError, SocketInUseError, resolveGroup } from '../../../lib/control/index.js';
import { LineSplitter } from '../../../lib/control/lines.js';
import { RawClient, makeStaleSocket, tempSocket } from './helpers.js';

async function withServer(fn: (s: ControlServer, path: string) => Promise<void>, opts: ConstructorParameters<typeof ControlServer>[0] = {}): Promise<void> {
  const t = tempSocket();
  const server = new ControlServer(opts);
  server.register('echo', (args) => args);
  server.register('slow', async (args) => {
    await new Promise((r) => setTimeout(r, Number(args.ms ?? 10)));
    return args.n;
  });
  server.register('missing', () => {
    throw new ControlError('NOT_FOUND', 'no such binding');
  });
  server.register('broken', () => {
    throw new TypeError('boom');
  });
  try {
    await server.listen(t.path);
    await fn(server, t.path);
  } finally {
    await server.close();
    t.cleanup();
  }
}

test('line splitter: lines across chunks, several per chunk, a cap in bytes', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push(Buffer.from('ab')), []);
  assert.deepEqual(s.push(Buffer.from('c\nde\nf')), ['abc', 'de']);
  assert.equal(s.pending, 1);
  assert.deepEqual(s.push(Buffer.from('\n')), ['f']);
  assert.equal(s.push(Buffer.from('0123456789A')), 'overflow');
  assert.equal(new LineSplitter(3).push(Buffer.from('ééé\n')), 'overflow', 'bytes, not characters');
});

test('socket file is 0660 by default, with the requested mode and group, and removed at close', async () => {
  const t = tempSocket();
  try {
    const a = new ControlServer();
    await a.listen(t.path);
    const st = statSync(t.path);
    assert.ok(lstatSync(t.path).isSocket());
    assert.equal((st.mode & 0o7777).toString(8), '660');
    assert.equal(st.uid, process.getuid!(), 'owner stays the daemon user');
    await a.close();
    assert.ok(!existsSync(t.path));

    const b = new ControlServer();
    const gid = await resolveGroup('daemon');
    assert.equal(gid, 1);
    await b.listen(t.path, { mode: 0o600, group: 'daemon' });
    assert.equal((statSync(t.path).mode & 0o7777).toString(8), '600');
    assert.equal(statSync(t.path).gid, 1);
    await b.close();

    const c = new ControlServer();
    await c.listen(t.path, { group: 2 });
    assert.equal(statSync(t.path).gid, 2);
    await c.close();
    await assert.rejects(new ControlServer().listen(t.path, { group: 'no-such-group-mcoa' }), /no such group: no-such-group-mcoa/);
  } finally {
    t.cleanup();
  }
});

test('a stale socket file is replaced; a live daemon or a non-socket file is refused', async () => {
  const t = tempSocket();
  try {
    makeStaleSocket(t.path);
    assert.ok(lstatSync(t.path).isSocket(), 'stale socket left by a killed process');
    await assert.rejects(ControlClient.connect(t.path), (e: unknown) => e instanceof DaemonUnreachableError && e.code === 'ECONNREFUSED');
    const first = new ControlServer();
    first.register('echo', (a) => a);
    await first.listen(t.path);

    await assert.rejects(new ControlServer().listen(t.path), (e: unknown) => e instanceof SocketInUseError && /another mcoad is answering/.test(e.message));
    const c = await ControlClient.connect(t.path);
    assert.deepEqual(await c.request('echo', { still: 'serving' }), { still: 'serving' });
    c.close();

    // close() removes only its own file: a newer daemon's socket at the path stays.
    unlinkSync(t.path);
    makeStaleSocket(t.path);
    const ino = lstatSync(t.path).ino;
    await first.close();
    assert.equal(lstatSync(t.path).ino, ino);
    unlinkSync(t.path);

    writeFileSync(t.path, 'not a socket');
    await assert.rejects(new ControlServer().listen(t.path), /exists and is not a socket/);
    assert.ok(existsSync(t.path), 'a regular file is never removed');
  } finally {
    t.cleanup();
  }
});

test('bad requests get clear errors and the connection stays usable', () =>
  withServer(async (_s, path) => {
    const c = await RawClient.connect(path);
    c.write('this is not json\n');
    assert.deepEqual(await c.next(), { id: null, ok: false, error: { code: 'BAD_JSON', message: 'request is not valid JSON' } });
    c.write('[1,2]\n');
    assert.equal(((await c.next())?.error as { code: string }).code, 'BAD_REQUEST');
    c.write('{"cmd":"echo"}\n');
    assert.deepEqual(await c.next(), { id: null, ok: false, error: { code: 'BAD_REQUEST', message: 'request needs an "id" (number or string)' } });
    c.write('{"id":"x","cmd":"echo","args":[1]}\n');
    assert.deepEqual(await c.next(), { id: 'x', ok: false, error: { code: 'BAD_REQUEST', message: '"args" must be an object' } });
    assert.deepEqual(await c.request('nope', {}, 7), { id: 7, ok: false, error: { code: 'UNKNOWN_COMMAND', message: 'unknown command "nope"' } });
    assert.deepEqual(await c.request('missing', {}, 8), { id: 8, ok: false, error: { code: 'NOT_FOUND', message: 'no such binding' } });
    assert.deepEqual(await c.request('broken', {}, 9), { id: 9, ok: false, error: { code: 'INTERNAL', message: 'broken failed: boom' } });
    // Half lines, in pieces, then two requests in one write.
    c.write('{"id":10,"cm');
    await new Promise((r) => setTimeout(r, 20));
    c.write('d":"echo","args":{"a":1}}\n{"id":11,"cmd":"echo"}\r\n');
    assert.deepEqual(await c.next(), { id: 10, ok: true, result: { a: 1 } });
    assert.deepEqual(await c.next(), { id: 11, ok: true, result: {} });
    c.close();
  }));

test('random bytes and a huge line: the offender is answered or cut off, the server keeps serving', () =>
  withServer(
    async (s, path) => {
      for (let round = 0; round < 20; round++) {
        const c = await RawClient.connect(path);
        c.write(randomBytes(2000));
        c.write('\n{"id":"probe","cmd":"echo","args":{"round":' + round + '}}\n');
        let reply;
        while ((reply = await c.next()) !== null && reply.id !== 'probe') {
          assert.equal(reply.ok, false, 'garbage never succeeds');
          assert.equal(reply.id, null);
        }
        assert.deepEqual(reply, { id: 'probe', ok: true, result: { round } }, 'the connection still works after garbage');
        c.close();
      }

      const big = await RawClient.connect(path);
      big.write('{"id":1,"cmd":"echo","args":{"x":"' + 'a'.repeat(5000));
      const reply = await big.next();
      assert.equal((reply?.error as { code: string }).code, 'LINE_TOO_LONG');
      assert.equal(await big.next(), null, 'connection closed after an oversize line');

      const c = await ControlClient.connect(path);
      assert.equal(await c.request('echo', { ok: 1 }).then((r) => (r as { ok: number }).ok), 1);
      c.close();
      assert.equal(s.monitorCount, 0);
    },
    { maxRequestBytes: 4096 },
  ));

test('many clients at once, each with pipelined requests answered in order', () =>
  withServer(async (_s, path) => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => ControlClient.connect(path)));
    const results = await Promise.all(
      clients.map((c, i) => Promise.all(Array.from({ length: 10 }, (_, j) => c.request('slow', { ms: (j * 7) % 5, n: i * 100 + j })))),
    );
    results.forEach((r, i) => assert.deepEqual(r, Array.from({ length: 10 }, (_, j) => i * 100 + j)));
    clients.forEach((c) => c.close());
  }));

test('monitor: events go to monitor clients only; requests still work on that connection', () =>
  withServer(async (s, path) => {
    const plain = await RawClient.connect(path);
    const mon = await RawClient.connect(path);
    assert.deepEqual(await mon.request('monitor', {}, 1), { id: 1, ok: true, result: { monitoring: true } });
    assert.equal(s.monitorCount, 1);
    s.broadcast({ type: 'added', n: 1 });
    s.broadcast({ type: 'removed', n: 2 });
    assert.deepEqual(await mon.next(), { event: { type: 'added', n: 1 } });
    assert.deepEqual(await mon.next(), { event: { type: 'removed', n: 2 } });
    assert.deepEqual(await mon.request('echo', { q: 1 }, 2), { id: 2, ok: true, result: { q: 1 } });
    assert.deepEqual(await plain.request('echo', {}, 3), { id: 3, ok: true, result: {} }, 'no event reached the plain client first');
    mon.close();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.monitorCount, 0);
    s.broadcast({ after: 'close' }); // no one to send to; nothing breaks
    plain.close();
  }));

test('a monitor client that stops reading is dropped with MONITOR_TOO_SLOW', () =>
  withServer(
    async (s, path) => {
      const mon = await ControlClient.connect(path);
      const events: unknown[] = [];
      const ended = mon.monitor((e) => events.push(e));
      while (s.monitorCount === 0) await new Promise((r) => setTimeout(r, 5));
      (mon as unknown as { socket: { pause(): void } }).socket.pause();
      const payload = 'x'.repeat(4096);
      for (let i = 0; i < 500 && s.monitorCount > 0; i++) s.broadcast({ i, payload });
      assert.equal(s.monitorCount, 0, 'dropped');
      (mon as unknown as { socket: { resume(): void } }).socket.resume();
      await assert.rejects(ended, (e: unknown) => e instanceof ControlRequestError && e.code === 'MONITOR_TOO_SLOW');
    },
    { maxMonitorBacklogBytes: 64 * 1024 },
  ));

test('too many clients: the extra one is told so and closed', () =>
  withServer(
    async (_s, path) => {
      const a = await RawClient.connect(path);
      const b = await RawClient.connect(path);
      assert.equal(((await b.next())?.error as { code: string }).code, 'TOO_MANY_CLIENTS');
      assert.equal(await b.next(), null);
      assert.deepEqual(await a.request('echo', {}, 1), { id: 1, ok: true, result: {} });
      a.close();
    },
    { maxClients: 1 },
  ));

test('client errors: no socket, refused, and a request timing out', async () => {
  const t = tempSocket();
  try {
    await assert.rejects(ControlClient.connect(t.path), (e: unknown) => {
      assert.ok(e instanceof DaemonUnreachableError);
      assert.equal(e.message, `cannot reach mcoad at ${t.path}: no such socket (is mcoad running?)`);
      return true;
    });
    const s = new ControlServer();
    s.register('hang', () => new Promise(() => undefined));
    await s.listen(t.path);
    const c = await ControlClient.connect(t.path, { timeoutMs: 50 });
    await assert.rejects(c.request('hang'), (e: unknown) => e instanceof DaemonUnreachableError && e.code === 'ETIMEDOUT');
    c.close();
    await s.close();
  } finally {
    t.cleanup();
  }
});

test('bindingView and monitorEvent: the core binding as operators see it', async () => {
  const { bindingView, monitorEvent } = await import('../../../lib/control/views.js');
  const { bindingFlags } = await import('../../../lib/proto/common/binding.js');
  const b = {
    hoa: ip6('2001:db8:1::100'),
    bid: 3,
    coa: ip6('2001:db8:a::1'),
    registeredAtMs: 1000,
    expiresAtMs: 401_000,
    lifetimeSeconds: 400,
    lastSequence: 9,
    flags: bindingFlags(true, true, false, true),
    mobileNetworkPrefixes: ['2001:db8:100::/48'],
    homeBinding: false,
  };
  const v = bindingView(b, 101_500);
  assert.deepEqual(v, {
    hoa: ip6('2001:db8:1::100'),
    bid: 3,
    coa: ip6('2001:db8:a::1'),
    flags: ['H', 'R', 'K'],
    lifetimeLeftSeconds: 299,
    lifetimeSeconds: 400,
    sequence: 9,
    homeBinding: false,
    mobileNetworkPrefixes: ['2001:db8:100::/48'],
  });
  assert.equal(bindingView(b, 500_000).lifetimeLeftSeconds, 0, 'never negative');
  const e = monitorEvent({ type: 'removed', binding: b, reason: 'expired' }, 101_500, new Date(Date.UTC(2025, 0, 2)));
  assert.deepEqual(e, { time: '2025-01-02T00:00:00.000Z', type: 'removed', reason: 'expired', binding: v });
});

test('a socket path near the sun_path limit is bound in place, still 0660 and removed at close', async () => {
  const t = tempSocket();
  try {
    const dir = join(t.dir, 'd'.repeat(94 - t.dir.length));
    const path = join(dir, 'm.sock');
    assert.ok(path.length <= 107 && path.length > 107 - 16);
    const s = new ControlServer();
    s.register('echo', (a) => a);
    await s.listen(path);
    assert.equal((statSync(path).mode & 0o7777).toString(8), '660');
    const c = await ControlClient.connect(path);
    assert.deepEqual(await c.request('echo', { x: 1 }), { x: 1 });
    c.close();
    await s.close();
    assert.ok(!existsSync(path));
  } finally {
    t.cleanup();
  }
});
