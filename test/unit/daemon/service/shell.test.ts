// The service shell with the home agent role, on the in-memory kernel: start and stop
// order, a failed start undone, Binding Update -> journal -> Binding Acknowledgement, the
// fatal path (a journal write fails: the daemon stops and acknowledges nothing), the
// expiry timer, reload by command and by SIGHUP (also one received during start).
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ControlClient, ControlRequestError } from '../../../../lib/control/client.js';
import type { BindingView, MonitorEvent } from '../../../../lib/control/protocol.js';
import { HOME_AGENT_ROLE } from '../../../../lib/daemon/ha/daemon.js';
import { DaemonShell } from '../../../../lib/daemon/service/shell.js';
import { mustParseIp6 } from '../../../../lib/inet/ip6.js';
import { RTM_DELLINK, RTM_NEWLINK } from '../../../../lib/platform/rtnl/rtnl-constants.js';
import { BindingStore } from '../../../../lib/store/index.js';
import { decodeMessage, encodeMessage } from '../../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../../lib/wire/profiles.js';
import type { BindingAck, BindingUpdate } from '../../../../lib/wire/types.js';
import { COA, HA_ADDRESS, HOA, TestDir, TestHost, TestSignals, captureLog, homeAgentYaml, stopAll, until, type FakeMhSocket } from '../fake-host.js';
import { command, serveRole, stop, type Running, type ServeOptions } from '../fake-host.js';

const NETLINK_ROUTE = 0;

/** The per-binding data plane: these tests follow a binding's own tunnel device (RTM_NEWLINK, RTM_DELLINK) in the kernel double. */
const haYaml = (maxLifetime?: number): string => homeAgentYaml(maxLifetime).replace('ipsec:\n', '  dataplane: per-binding\nipsec:\n');

/** The home agent through the shell, until it serves (or its start failed). */
function serve(opts: ServeOptions = {}): Promise<Running> {
  return serveRole(HOME_AGENT_ROLE, opts.yaml ?? haYaml(), opts);
}

function buFrom(sequence: number, lifetimeSeconds: number): BindingUpdate {
  return {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    sequence,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds,
    options: [{ kind: 'bid', status: 0, bid: 1, c: true, o: false, h: false, coa: mustParseIp6(COA) }],
  };
}

/** A BU from the care-of address with a Home Address option, as the MH socket delivers it. */
function receiveBu(mh: FakeMhSocket, sequence: number, lifetimeSeconds: number): void {
  mh.receive({ data: encodeMessage(buFrom(sequence, lifetimeSeconds), DRAFT04_PROFILE), src: HOA, dst: HA_ADDRESS, ifindex: 2, homeAddressOption: COA });
}

function acks(mh: FakeMhSocket): { ba: BindingAck; dst: string; routingHeader: string | undefined }[] {
  return mh.sent.flatMap((s) => {
    const d = decodeMessage(s.data, DRAFT04_PROFILE);
    return d.ok && d.value.kind === 'ba' ? [{ ba: d.value, dst: s.dst, routingHeader: s.routingHeader }] : [];
  });
}

test('start order: guards, control socket bound, store, sysctls, kernel and sockets, then the socket appears; stop undoes it in reverse', async () => {
  const seen: string[] = [];
  const r = await serve({
    guards: ({ host }) => [
      { name: 'lock', acquire: async () => (host.steps.push('lock'), () => void host.steps.push('unlock')) },
      { name: 'preflight', acquire: async () => void host.steps.push('preflight') },
    ],
    // The socket is bound by now (a group problem would have stopped the start), but not at its path.
    prepare: (host, dir) => {
      const open = host.ports.openStore;
      host.ports.openStore = (d, o) => (seen.push(`socket at its path during start: ${dir.socketExists()}`), open(d, o));
    },
  });
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  seen.push(`socket at its path when serving: ${r.dir.socketExists()}`);
  const dir = r.dir;
  assert.equal(await stop(r), 0);
  assert.deepEqual(seen, ['socket at its path during start: false', 'socket at its path when serving: true']);
  assert.deepEqual(r.host.steps, [
    'lock',
    'preflight',
    'open store',
    'sysctl all/forwarding=1',
    'sysctl home0/proxy_ndp=1',
    'open netlink 0',
    'open netlink 6',
    'open mh',
    'open nd',
    'open icmp6',
    'open netlink 0 groups',
    'open netlink 6 groups',
    'serving',
    'stopping',
    'close icmp6',
    'close mh',
    'close nd',
    'close netlink 6 groups',
    'close netlink 0 groups',
    'close netlink 6',
    'close netlink 0',
    'close store',
    'unlock',
  ]);
  assert.equal(dir.socketExists(), false, 'the control socket goes at stop');
  assert.ok(r.messages().indexOf('mcoad running') > r.messages().indexOf('binding cache loaded'));
});

test('a control socket problem stops the start before the store, sysctls or kernel are touched', async () => {
  const host = new TestHost();
  const dir = new TestDir();
  const cfg = await dir.write(haYaml());
  const { log, lines } = captureLog();
  const withGroup = { ...cfg, control: { ...cfg.control, group: 'no-such-group-mcoa' } };
  const shell = new DaemonShell(withGroup as never, log, HOME_AGENT_ROLE, {
    host: host.ports,
    signals: new TestSignals(),
    guards: [{ name: 'lock', acquire: async () => (host.steps.push('lock'), () => void host.steps.push('unlock')) }],
  });
  assert.equal(await shell.run(), 1);
  assert.deepEqual(host.steps, ['lock', 'unlock']);
  const fatal = lines.find((l) => String(l['msg']).startsWith('cannot start'));
  assert.match(String(fatal?.['step']), /^control socket /);
  assert.match(String(fatal?.['err']), /no such group: no-such-group-mcoa/);
  assert.equal(dir.socketExists(), false);
  dir.remove();
});

test('a failed role start is undone in reverse and exits 1; the control socket never appears', async () => {
  const r = await serve({ prepare: (host) => void host.refuseNetlink.add(6) });
  assert.equal(await r.run, 1);
  assert.deepEqual(r.host.steps, ['open store', 'sysctl all/forwarding=1', 'sysctl home0/proxy_ndp=1', 'open netlink 0', 'close netlink 0', 'close store', 'failed']);
  const fatal = r.lines.find((l) => String(l['msg']).startsWith('cannot start'));
  assert.equal(fatal?.['step'], 'home-agent start');
  assert.match(String(fatal?.['err']), /EPROTONOSUPPORT/);
  assert.equal(r.dir.socketExists(), false);
  r.dir.remove();
});

test('a Binding Update: DAD, the journal, then the BA; the tunnel in the kernel; show bindings and monitor', async () => {
  const r = await serve();
  const mh = r.host.mh[0]!;
  const monitor = await ControlClient.connect(r.dir.socket);
  const events: MonitorEvent[] = [];
  void monitor.monitor((e) => events.push(e)).catch(() => undefined);
  await until('monitor attached', () => r.shell.control.monitorCount === 1);
  receiveBu(mh, 10, 400);
  await until('the BA', () => acks(mh).length === 1);
  const [{ ba, dst, routingHeader }] = acks(mh) as [ReturnType<typeof acks>[number]];
  assert.equal(ba.status, 0);
  assert.equal(ba.sequence, 10);
  assert.equal(dst, HOA);
  assert.equal(routingHeader, COA);
  assert.deepEqual(r.host.nd[0]!.dads, [`home0 ${HOA}`]);
  // The journal held the binding before the BA left: a second store on the directory reads it.
  const reread = await BindingStore.open(r.dir.state);
  assert.deepEqual(reread.loadAll().bindings.map((b) => `${b.hoa} ${b.bid} ${b.coa}`), [`${HOA} 1 ${COA}`]);
  await reread.close();
  await until('the tunnel created', () => r.host.kernel.received(NETLINK_ROUTE, RTM_NEWLINK).length > 0);
  const shown = await command<BindingView[]>(r, 'show-bindings', { hoa: HOA });
  assert.deepEqual(shown.map((b) => `${b.hoa} ${b.bid} ${b.coa}`), [`${HOA} 1 ${COA}`]);
  assert.deepEqual(await command<BindingView[]>(r, 'show-bindings', { hoa: '2001:db8:1::ffff' }), []);
  await assert.rejects(command(r, 'show-bindings', { hoa: 'nonsense' }), (e: unknown) => e instanceof ControlRequestError && e.code === 'BAD_ARGS');
  await until('the monitor event', () => events.length > 0);
  assert.equal(events[0]!.type, 'added');
  assert.equal(events[0]!.binding.hoa, HOA);
  const stats = await command<{ bindings: number; counters: Record<string, Record<string, number>> }>(r, 'show-stats');
  assert.equal(stats.bindings, 1);
  assert.equal(stats.counters['sent']?.['ba'], 1);
  assert.ok(stats.counters['store'] !== undefined && stats.counters['kernel'] !== undefined);
  monitor.close();
  assert.equal(await stop(r), 0);
});

test('fatal: a journal write fails -> no BA for that BU, the daemon stops in order and exits 1', async () => {
  const r = await serve();
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, 400);
  await until('the first BA', () => acks(mh).length === 1);
  r.host.store!.failing = true;
  receiveBu(mh, 11, 400);
  assert.equal(await r.run, 1, 'exit status 1 without a signal');
  assert.equal(acks(mh).length, 1, 'the BU whose binding is not durable is not acknowledged');
  assert.ok(r.lines.some((l) => l['msg'] === 'binding store write failed' && l['level'] === 60));
  const stopSteps = r.host.steps.slice(r.host.steps.indexOf('stopping'));
  assert.deepEqual(stopSteps.filter((s) => !s.startsWith('close netlink')), ['stopping', 'close icmp6', 'close mh', 'close nd', 'close store']);
  assert.equal(r.dir.socketExists(), false);
  r.dir.remove();
});

test('the expiry timer: a binding whose lifetime ran out leaves the cache, the journal and the kernel', async () => {
  const r = await serve();
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, 8);
  await until('the BA', () => acks(mh).length === 1);
  await until('the tunnel created', () => r.host.kernel.received(NETLINK_ROUTE, RTM_NEWLINK).length > 0);
  assert.equal(r.host.kernel.received(NETLINK_ROUTE, RTM_DELLINK).length, 0);
  r.host.clock.advance(7_000);
  assert.equal((await command<BindingView[]>(r, 'show-bindings')).length, 1, 'not yet expired');
  r.host.clock.advance(1_500);
  assert.deepEqual(await command<BindingView[]>(r, 'show-bindings'), []);
  assert.ok(r.lines.some((l) => l['msg'] === 'binding expired' && l['hoa'] === HOA));
  await until('the tunnel deleted', () => r.host.kernel.received(NETLINK_ROUTE, RTM_DELLINK).length > 0);
  const stats = await command<{ counters: Record<string, Record<string, number>> }>(r, 'show-stats');
  assert.equal(stats.counters['bindings']?.['expired'], 1);
  const state = r.dir.state;
  const dir = r.dir;
  r.signals.term();
  assert.equal(await r.run, 0);
  const reread = await BindingStore.open(state);
  assert.deepEqual(reread.loadAll().bindings, [], 'the expiry is in the journal');
  await reread.close();
  dir.remove();
});

test('reload: a SIGHUP during start is replayed once serving; the command applies the file; a bad file or another role is refused', async () => {
  const r = await serve({ guards: ({ signals }) => [{ name: 'preflight', acquire: async () => signals.hup() }] });
  await until('the held reload', () => r.host.steps.includes('reloaded'));
  assert.deepEqual(
    r.host.steps.filter((s) => ['serving', 'reloading', 'reloaded'].includes(s)),
    ['serving', 'reloading', 'reloaded'],
  );
  assert.ok(r.messages().lastIndexOf('configuration reloaded') > r.messages().indexOf('mcoad running'));
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, 400);
  await until('the BA', () => acks(mh).length === 1);
  assert.equal(acks(mh)[0]!.ba.lifetimeSeconds, 400);

  // A lower max_lifetime applies to the next BU; the binding stays through the reload; a new
  // state directory waits for a restart.
  writeFileSync(r.dir.config, `${haYaml(40)}state_directory: ${r.dir.state}-elsewhere\ncontrol:\n  socket: ${r.dir.socket}\n`);
  const { notApplied } = await command<{ notApplied: { key: string; detail: string }[] }>(r, 'reload');
  assert.deepEqual(notApplied.map((n) => n.key), ['state_directory']);
  assert.equal((await command<BindingView[]>(r, 'show-bindings')).length, 1);
  receiveBu(mh, 11, 400);
  await until('the second BA', () => acks(mh).length === 2);
  assert.equal(acks(mh)[1]!.ba.lifetimeSeconds, 40);

  writeFileSync(r.dir.config, 'role: home-agent\nhome_agent: {}\n');
  await assert.rejects(command(r, 'reload'), (e: unknown) => e instanceof ControlRequestError && e.code === 'CONFIG_INVALID');
  writeFileSync(r.dir.config, 'role: correspondent\ncorrespondent:\n  address: 2001:db8:c::1\n');
  await assert.rejects(command(r, 'reload'), (e: unknown) => e instanceof ControlRequestError && e.code === 'CONFIG_INVALID' && /role changed to correspondent/.test(e.message));
  // By signal: refused, logged, and the daemon keeps serving with the configuration it has.
  r.signals.hup();
  await until('the refusal logged', () => r.messages().includes('reload refused; the running configuration stays'));
  receiveBu(mh, 12, 400);
  await until('the third BA', () => acks(mh).length === 3);
  assert.equal(acks(mh)[2]!.ba.lifetimeSeconds, 40);
  assert.equal(await stop(r), 0);
});
