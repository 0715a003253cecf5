// mcoactl's daemon commands against an in-process control server with fake handlers:
// tables and --json for each command, error responses, an absent daemon, usage errors,
// and monitor ended by the daemon or by Ctrl-C.
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../lib/cli/main.js';
import { ControlError, ControlServer, type BindingView, type MonitorEvent, type StatsView } from '../../../lib/control/index.js';
import { makeStaleSocket, tempSocket } from '../control/helpers.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');
const MCOACTL = join(ROOT, 'bin', 'mcoactl');

const view = (over: Partial<BindingView>): BindingView => ({
  hoa: ip6('2001:db8:1::100'),
  bid: 1,
  coa: ip6('2001:db8:a::1'),
  flags: ['H'],
  lifetimeLeftSeconds: 400,
  lifetimeSeconds: 400,
  sequence: 12,
  homeBinding: false,
  mobileNetworkPrefixes: [],
  ...over,
});

const BINDINGS: BindingView[] = [
  view({ bid: 2, coa: ip6('2001:db8:b::2'), lifetimeLeftSeconds: 3723, lifetimeSeconds: 3724 }),
  view({ bid: 1, flags: ['H', 'K'] }),
  view({ hoa: ip6('2001:db8:1::9'), bid: 0, coa: ip6('2001:db8:1::9'), lifetimeLeftSeconds: 59, sequence: 3, homeBinding: true }),
];

const STATS: StatsView = {
  version: '0.1.0',
  uptimeSeconds: 93784,
  bindings: 3,
  homeAddresses: 2,
  counters: { bu: { received: 120, accepted: 117, rejected: 3 }, kernel: { applies: 40 } },
};

type Run = { code: number; out: string[]; err: string[] };

async function mcoactl(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

interface Daemon {
  server: ControlServer;
  path: string;
  calls: [string, Record<string, unknown>][];
}

async function withDaemon(fn: (d: Daemon) => Promise<void>, bindings: BindingView[] = BINDINGS): Promise<void> {
  const t = tempSocket();
  const server = new ControlServer();
  const calls: Daemon['calls'] = [];
  const record = (cmd: string, result: (args: Record<string, unknown>) => unknown) =>
    server.register(cmd, (args) => {
      calls.push([cmd, args]);
      return result(args);
    });
  record('show-bindings', (a) => bindings.filter((b) => a.hoa === undefined || b.hoa === a.hoa));
  record('show-stats', () => STATS);
  record('show-metrics', () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', text: EXPOSITION }));
  record('del-binding', (a) => {
    const n = bindings.filter((b) => b.hoa === a.hoa && (a.bid === undefined || b.bid === a.bid)).length;
    if (n === 0) throw new ControlError('NOT_FOUND', `no binding ${String(a.hoa)}${a.bid === undefined ? '' : ` bid ${String(a.bid)}`}`);
    return { removed: n };
  });
  record('flush', () => ({ removed: bindings.length }));
  record('reload', () => ({
    warnings: ['IPsec protection of Binding Updates is OFF'],
    applied: [{ key: 'log_level', detail: "the logger's level changes at once" }],
    notApplied: [{ key: 'state_directory', detail: 'the journal is open (and locked) there' }],
  }));
  try {
    await server.listen(t.path);
    await fn({ server, path: t.path, calls });
  } finally {
    await server.close();
    t.cleanup();
  }
}

test('show bindings: an aligned table sorted by home address and BID', () =>
  withDaemon(async ({ path, calls }) => {
    const r = await mcoactl('show', 'bindings', '--socket', path);
    assert.equal(r.code, 0);
    assert.deepEqual(r.err, []);
    assert.deepEqual(r.out, [
      'HOME ADDRESS     BID  CARE-OF ADDRESS  FLAGS   LIFETIME  SEQ',
      '2001:db8:1::9      0  2001:db8:1::9    H home       59s    3',
      '2001:db8:1::100    1  2001:db8:a::1    HK         6m40s   12',
      '2001:db8:1::100    2  2001:db8:b::2    H       1h02m03s   12',
    ]);
    assert.deepEqual(calls, [['show-bindings', {}]]);
  }));

test('show bindings --json: the daemon result as one JSON document', () =>
  withDaemon(async ({ path }) => {
    const r = await mcoactl('show', 'bindings', '--json', '--socket', path);
    assert.equal(r.code, 0);
    assert.equal(r.out.length, 1);
    assert.deepEqual(JSON.parse(r.out[0]!), BINDINGS);
  }));

test('show bindings HOA: the address is sent in canonical form', () =>
  withDaemon(async ({ path, calls }) => {
    const r = await mcoactl('show', 'bindings', '2001:DB8:1:0::0100', '--socket', path);
    assert.equal(r.code, 0);
    assert.equal(r.out.length, 3);
    assert.deepEqual(calls, [['show-bindings', { hoa: '2001:db8:1::100' }]]);
  }));

test('show bindings: a PREFIXES column for mobile routers; "no bindings" when empty', async () => {
  await withDaemon(
    async ({ path }) => {
      const r = await mcoactl('show', 'bindings', '--socket', path);
      assert.deepEqual(r.out, [
        'HOME ADDRESS     BID  CARE-OF ADDRESS  FLAGS  LIFETIME  SEQ  PREFIXES',
        '2001:db8:1::100    1  2001:db8:a::1    HR        6m40s   12  2001:db8:100::/48,2001:db8:200::/48',
      ]);
    },
    [view({ flags: ['H', 'R'], mobileNetworkPrefixes: ['2001:db8:100::/48', '2001:db8:200::/48'] })],
  );
  await withDaemon(async ({ path }) => {
    assert.deepEqual((await mcoactl('show', 'bindings', '--socket', path)).out, ['no bindings']);
    assert.deepEqual((await mcoactl('show', 'bindings', '--json', '--socket', path)).out, ['[]']);
  }, []);
});

test('show stats: aligned counters by group, and --json', () =>
  withDaemon(async ({ path }) => {
    const r = await mcoactl('show', 'stats', '--socket', path);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [
      'version         0.1.0',
      'uptime          1d02h03m',
      'bindings        3',
      'home addresses  2',
      'bu:',
      '  received      120',
      '  accepted      117',
      '  rejected      3',
      'kernel:',
      '  applies       40',
    ]);
    const j = await mcoactl('show', 'stats', '--json', '--socket', path);
    assert.deepEqual(JSON.parse(j.out[0]!), STATS);
  }));

const EXPOSITION = '# HELP mcoa_mh_sent_total Mobility Header messages sent\n# TYPE mcoa_mh_sent_total counter\nmcoa_mh_sent_total{type="ba"} 3\n';

test('show stats --prometheus: the exposition text as the daemon gives it, for the textfile collector', () =>
  withDaemon(async ({ path, calls }) => {
    const r = await mcoactl('show', 'stats', '--prometheus', '--socket', path);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out, [EXPOSITION.trimEnd()], r.err.join('\n'));
    assert.deepEqual(calls.at(-1), ['show-metrics', {}]);
    const both = await mcoactl('show', 'stats', '--prometheus', '--json', '--socket', path);
    assert.equal(both.code, 2);
    const bindings = await mcoactl('show', 'bindings', '--prometheus', '--socket', path);
    assert.equal(bindings.code, 2);
  }));

test('del binding HOA [BID], and the daemon\'s NOT_FOUND as one line with exit 1', () =>
  withDaemon(async ({ path, calls }) => {
    const one = await mcoactl('del', 'binding', '2001:db8:1::100', '2', '--socket', path);
    assert.deepEqual([one.code, one.out], [0, ['deleted binding 2001:db8:1::100 bid 2']]);
    const all = await mcoactl('del', 'binding', '2001:db8:1::100', '--socket', path);
    assert.deepEqual([all.code, all.out], [0, ['deleted 2 bindings of 2001:db8:1::100']]);
    const none = await mcoactl('del', 'binding', '2001:db8:1::7', '--socket', path);
    assert.deepEqual([none.code, none.out, none.err], [1, [], ['mcoactl del: no binding 2001:db8:1::7 (NOT_FOUND)']]);
    assert.deepEqual(calls, [
      ['del-binding', { hoa: '2001:db8:1::100', bid: 2 }],
      ['del-binding', { hoa: '2001:db8:1::100' }],
      ['del-binding', { hoa: '2001:db8:1::7' }],
    ]);
  }));

test('flush and reload', () =>
  withDaemon(async ({ path, server }) => {
    assert.deepEqual(await mcoactl('flush', '--socket', path), { code: 0, out: ['flushed 3 bindings'], err: [] });
    assert.deepEqual(await mcoactl('reload', '--socket', path), {
      code: 0,
      out: [
        'configuration reloaded',
        "  applied  log_level        the logger's level changes at once",
        '  restart  state_directory  needs a restart: the journal is open (and locked) there',
      ],
      err: ['mcoactl reload: warning: IPsec protection of Binding Updates is OFF'],
    });
    server.register('reload', () => {
      throw new ControlError('CONFIG_INVALID', 'mcoad.yaml:4:12: home_agent.address: not an IPv6 address: "x"\nmcoad.yaml:9:3: lgo_level: unknown key');
    });
    assert.deepEqual(await mcoactl('reload', '--socket', path), {
      code: 1,
      out: [],
      err: [
        'mcoactl reload: configuration not reloaded (mcoad keeps the running one):',
        '  mcoad.yaml:4:12: home_agent.address: not an IPv6 address: "x"',
        '  mcoad.yaml:9:3: lgo_level: unknown key',
      ],
    });
  }));

const EVENT: MonitorEvent = { time: '2025-01-02T03:04:05.000Z', type: 'added', reason: 'registered', binding: BINDINGS[1]! };
const REMOVED: MonitorEvent = { time: '2025-01-02T03:10:00.000Z', type: 'removed', reason: 'expired', binding: BINDINGS[2]! };

async function untilMonitoring(server: ControlServer): Promise<void> {
  while (server.monitorCount === 0) await new Promise((r) => setTimeout(r, 5));
}

test('monitor: one line per event until the daemon goes away (exit 1), and --json', () =>
  withDaemon(async ({ server, path }) => {
    const run = mcoactl('monitor', '--socket', path);
    await untilMonitoring(server);
    server.broadcast(EVENT);
    server.broadcast(REMOVED);
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const r = await run;
    assert.deepEqual(r, {
      code: 1,
      out: [
        '2025-01-02T03:04:05.000Z added   2001:db8:1::100 bid 1 coa 2001:db8:a::1 flags HK lifetime 6m40s seq 12 (registered)',
        '2025-01-02T03:10:00.000Z removed 2001:db8:1::9 bid 0 coa 2001:db8:1::9 flags H home seq 3 (expired)',
      ],
      err: ['mcoactl monitor: mcoad closed the connection'],
    });
  }));

test('monitor --json: one JSON event per line', () =>
  withDaemon(async ({ server, path }) => {
    const run = mcoactl('monitor', '--json', '--socket', path);
    await untilMonitoring(server);
    server.broadcast(EVENT);
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const r = await run;
    assert.deepEqual(r.out.map((l) => JSON.parse(l) as unknown), [EVENT]);
  }));

test('monitor ends cleanly (exit 0) on Ctrl-C, run as the real launcher', () =>
  withDaemon(async ({ server, path }) => {
    const child = spawn(MCOACTL, ['monitor', '--socket', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await untilMonitoring(server);
    server.broadcast(EVENT);
    while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(code, 0);
    assert.match(out, /added   2001:db8:1::100 bid 1/);
  }));

test('no daemon: a clear message and exit 1, for every command', async () => {
  const t = tempSocket();
  try {
    const expected = `mcoactl: cannot reach mcoad at ${t.path}: no such socket (is mcoad running?)`;
    for (const args of [['show', 'bindings'], ['show', 'stats'], ['del', 'binding', '2001:db8::1'], ['flush'], ['reload'], ['monitor']]) {
      assert.deepEqual(await mcoactl(...args, '--socket', t.path), { code: 1, out: [], err: [expected] }, args.join(' '));
    }
    // Global option before the command, and the environment variable.
    assert.deepEqual((await mcoactl('--socket', t.path, 'show', 'bindings')).err, [expected]);
    process.env.MCOAD_SOCKET = t.path;
    try {
      assert.deepEqual((await mcoactl('flush')).err, [expected]);
    } finally {
      delete process.env.MCOAD_SOCKET;
    }
    makeStaleSocket(t.path);
    assert.deepEqual((await mcoactl('flush', '--socket', t.path)).err, [`mcoactl: cannot reach mcoad at ${t.path}: connection refused (is mcoad running?)`]);
  } finally {
    t.cleanup();
  }
});

test('no daemon, run as the real launcher: exit 1, one line; default socket path', () => {
  const t = tempSocket();
  try {
    const r = spawnSync(MCOACTL, ['show', 'bindings'], { encoding: 'utf8', env: { ...process.env, MCOAD_SOCKET: t.path } });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `mcoactl: cannot reach mcoad at ${t.path}: no such socket (is mcoad running?)\n`);
    if (!existsSync('/run/mcoad/mcoad.sock')) {
      const env = { ...process.env };
      delete env.MCOAD_SOCKET;
      const d = spawnSync(MCOACTL, ['show', 'stats'], { encoding: 'utf8', env });
      assert.equal(d.stderr, 'mcoactl: cannot reach mcoad at /run/mcoad/mcoad.sock: no such socket (is mcoad running?)\n');
    }
  } finally {
    t.cleanup();
  }
});

test('usage errors exit 2 with the command usage', async () => {
  const cases: [string[], string][] = [
    [['show'], 'mcoactl show: show what? bindings, flows, stats, prefixes or cluster'],
    [['show', 'routes'], 'mcoactl show: cannot show "routes": bindings, flows, stats, prefixes or cluster'],
    [['show', 'bindngs'], 'mcoactl show: cannot show "bindngs": bindings, flows, stats, prefixes or cluster (did you mean bindings?)'],
    [['show', 'stat'], 'mcoactl show: cannot show "stat": bindings, flows, stats, prefixes or cluster (did you mean stats?)'],
    [['show', 'bindings', 'not-an-address'], 'mcoactl show: not an IPv6 address: "not-an-address"'],
    [['show', 'stats', 'extra'], 'mcoactl show: unexpected argument "extra"'],
    [['del', 'binding'], 'mcoactl del: which home address?'],
    [['del', 'binding', '2001:db8::1', '70000'], 'mcoactl del: BID must be 0..65535: "70000"'],
    [['del', 'route', '2001:db8::1'], 'mcoactl del: cannot delete "route": binding'],
    [['flush', 'now'], 'mcoactl flush: unexpected argument "now"'],
    [['monitor', '--follow'], "mcoactl monitor: Unknown option '--follow'"],
  ];
  for (const [args, first] of cases) {
    const r = await mcoactl(...args, '--socket', '/nonexistent/mcoad.sock');
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err[0], first);
    assert.match(r.err[1] ?? '', /^usage: mcoactl /);
  }
});

test('help lists the daemon commands and the global --socket option', async () => {
  const r = await mcoactl('help');
  const text = r.out.join('\n');
  for (const name of ['show', 'del', 'flush', 'reload', 'monitor', 'decode']) assert.match(text, new RegExp(`^  ${name} `, 'm'));
  assert.match(text, /--socket PATH +control socket of mcoad/);
  assert.deepEqual((await mcoactl('help', 'show')).out, ['usage: mcoactl show bindings [HOA] [--json] [--socket PATH]', 'usage: mcoactl show stats [--json | --prometheus] [--socket PATH]', 'usage: mcoactl show prefixes [--json] [--socket PATH]', 'usage: mcoactl show flows [HOA] [--json] [--socket PATH]', 'usage: mcoactl show cluster [--json] [--socket PATH]']);
});
