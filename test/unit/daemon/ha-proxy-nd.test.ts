// How home_agent.proxy_nd shapes what the reconciler gets and what the daemon answers
// (daemon/ha/proxy-nd.ts), with a recording double of the proxy ND socket.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import pino from 'pino';
import { ip6 } from '../../ip6.js';
import { HomeAgentProxyNd, PROXY_NA_BURST, type ProxyNdMode } from '../../../lib/daemon/ha/proxy-nd.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import type { ProxyNdPort } from '../../../lib/daemon/service/host.js';
import { KernelError } from '../../../lib/platform/kernel-errors.js';
import { Errno } from '../../../lib/platform/sys/errno.js';
import type { ProxyNa } from '../../../lib/net/proxy-nd-socket.js';
import type { ReceivedNs } from '../../../lib/net/proxy-nd-packet.js';
import { PACKET_MULTICAST } from '../../../lib/net/proxy-nd-packet.js';
import type { DesiredState } from '../../../lib/plan/ha/desired.js';
import { mustParseIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { solicitedNodeGroup } from '../../../lib/proto/ha/proxy-nd.js';

const HOA = ip6('2001:db8:aa::1:2345');
const MAC = Uint8Array.of(2, 0, 0x5e, 0x10, 0, 1);

class RecordingPort extends EventEmitter implements ProxyNdPort {
  readonly ifname = 'home0';
  readonly sent: ProxyNa[] = [];
  closed = false;
  readonly stats = { received: 0, invalid: 0, receiveErrors: 0, sent: 0, sendErrors: 0, kernelDrops: 0 };
  bound = true;
  stillBound(): boolean {
    return this.bound;
  }
  linkLayerAddress(): Uint8Array {
    return MAC;
  }
  /** What the kernel answers to the sends, at the end of the turn as the socket's sendmmsg does. */
  failWith: KernelError | undefined;
  advertise(na: ProxyNa, _mac: Uint8Array, done: (err?: KernelError) => void): void {
    this.sent.push(na);
    setImmediate(() => done(this.failWith));
  }
  close(): void {
    this.closed = true;
  }
}

const desired = (addrs: Ip6[]): DesiredState => ({
  tunnels: new Map(),
  routes: new Map(),
  proxies: new Map(addrs.map((a) => [`home0|${a}`, { key: `home0|${a}`, address: a, interface: 'home0', owners: ['1'] }])),
});

const timers: (() => void)[] = [];

function make(mode: ProxyNdMode, now = { ms: 0 }): { p: HomeAgentProxyNd; port: RecordingPort; metrics: Metrics } {
  const port = new RecordingPort();
  const metrics = new Metrics('home-agent');
  const clock = { now: () => now.ms, wallNow: () => now.ms, setTimeout: (fn: () => void) => (timers.push(fn), {}), clearTimeout: () => undefined };
  return { p: new HomeAgentProxyNd(mode, mode === 'daemon' ? () => port : undefined, metrics, pino({ level: 'silent' }), clock), port, metrics };
}

const solicitation = (target: Ip6, src = ip6('2001:db8:aa::2')): ReceivedNs => ({
  ifindex: 3,
  pktType: PACKET_MULTICAST,
  src,
  dst: solicitedNodeGroup(target),
  hopLimit: 255,
  ns: { kind: 'ns', target: mustParseIp6(target), sourceLinkLayer: MAC },
});

test('kernel: the desired state keeps its proxy entries; nothing is answered by the daemon', () => {
  const { p } = make('kernel');
  const d = desired([HOA]);
  assert.equal(p.plan(HOA, d), d);
  assert.equal(p.defended.size, 0);
});

test('daemon: proxy entries leave the desired state for the daemon\'s set; a new address is announced once', () => {
  const { p, port } = make('daemon');
  const out = p.plan(HOA, desired([HOA]));
  assert.equal(out.proxies.size, 0, 'no kernel proxy entry');
  assert.equal(p.defended.has('home0', HOA), true);
  assert.deepEqual(port.sent, [{ dst: 'ff02::1', target: HOA, router: false, solicited: false, override: true }]);
  p.plan(HOA, desired([HOA]));
  assert.equal(port.sent.length, 1, 'a refresh announces nothing');
  p.plan(HOA, desired([]));
  assert.equal(p.defended.size, 0);
});

test('daemon: a restart (announce false) defends without announcing', () => {
  const { p, port } = make('daemon');
  p.plan(HOA, desired([HOA]), false);
  assert.equal(p.defended.has('home0', HOA), true);
  assert.deepEqual(port.sent, []);
});

const endOfTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('daemon: an NS for a defended address is answered, for another address it is not; counted once sent', async () => {
  const { p, port, metrics } = make('daemon');
  p.plan(HOA, desired([HOA]), false);
  port.emit('solicitation', solicitation(HOA));
  port.emit('solicitation', solicitation(ip6('2001:db8:aa::1:9999')));
  assert.deepEqual(port.sent, [{ dst: '2001:db8:aa::2', target: HOA, router: false, solicited: true, override: true }]);
  await endOfTurn();
  assert.equal(metrics.snapshot()['nd']!['proxy-answered'], 1);
});

test('daemon: an advertisement the kernel refuses is counted as a send error, not as answered', async () => {
  const { p, port, metrics } = make('daemon');
  p.plan(HOA, desired([HOA]), false);
  port.failWith = new KernelError(Errno.ENOBUFS, 'sendmsg proxy NA');
  port.emit('solicitation', solicitation(HOA));
  await endOfTurn();
  assert.equal(metrics.snapshot()['nd']!['proxy-send-error'], 1);
  assert.equal(metrics.snapshot()['nd']!['proxy-answered'] ?? 0, 0);
});

test('daemon: a flood of NS is bounded by the token bucket, the excess counted, nothing queued', () => {
  const { p, port, metrics } = make('daemon');
  p.plan(HOA, desired([HOA]), false);
  for (let i = 0; i < PROXY_NA_BURST + 100; i++) port.emit('solicitation', solicitation(HOA));
  assert.equal(port.sent.length, PROXY_NA_BURST);
  assert.equal(metrics.snapshot()['nd']!['proxy-rate-limited'], 100);
});

test('none: proxy entries leave the desired state and nobody answers (a virtual home link)', () => {
  const { p } = make('none');
  assert.equal(p.plan(HOA, desired([HOA])).proxies.size, 0);
  assert.equal(p.defended.size, 0);
});

test('daemon: a home link made again (new interface index) gets a new socket at the next check; a failed open is retried', () => {
  timers.length = 0;
  const ports: RecordingPort[] = [];
  let fail = false;
  const clock = { now: () => 0, wallNow: () => 0, setTimeout: (fn: () => void) => (timers.push(fn), {}), clearTimeout: () => undefined };
  const open = (): RecordingPort => {
    if (fail) throw new Error('ENODEV');
    const port = new RecordingPort();
    ports.push(port);
    return port;
  };
  const p = new HomeAgentProxyNd('daemon', open, new Metrics('home-agent'), pino({ level: 'silent' }), clock);
  p.plan(HOA, desired([HOA]), false);
  assert.equal(ports.length, 1);
  timers.shift()!();
  assert.equal(ports.length, 1, 'still bound: the same socket');
  ports[0]!.bound = false;
  fail = true;
  timers.shift()!();
  assert.equal(ports[0]!.closed, true, 'the deaf socket is closed');
  assert.equal(p.stats()['received'], undefined, 'no socket while the link is missing');
  fail = false;
  timers.shift()!();
  assert.equal(ports.length, 2, 'opened again once the link is back');
  ports[1]!.emit('solicitation', solicitation(HOA));
  assert.equal(ports[1]!.sent.length, 1, 'the defended set survives the new socket');
  p.close();
  assert.equal(ports[1]!.closed, true);
});
