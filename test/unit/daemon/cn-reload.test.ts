// Correspondent reload: the planner keeps exactly the keys its reload rules say wait for a
// restart (service/reload-rules.ts), the core grants the new lifetime and refuses BIDs when
// MCoA is turned off, and a running correspondent reloads through the shell.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { parseAnyConfig, type CorrespondentDaemonConfig } from '../../../lib/config/index.js';
import type { ReloadResult } from '../../../lib/control/protocol.js';
import { CORRESPONDENT_ROLE } from '../../../lib/daemon/cn/daemon.js';
import { planCorrespondentReload } from '../../../lib/daemon/cn/reload-plan.js';
import { RELOAD_RULES, ruleFor } from '../../../lib/daemon/service/reload-rules.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { newCn, sealedBu } from '../proto/cn-fixtures.js';
import { bid } from '../proto/fixtures.js';
import { command, serveRole, stop, stopAll, type Running } from './fake-host.js';

afterEach(stopAll);

const BASE = `role: correspondent
correspondent:
  address: 2001:db8:c::10
  max_lifetime: 420
  mcoa: true
  nonce_regenerate: 30s
  kcn_rotate: 1h
kernel:
  resync_interval: 5m
  table: 254
log_level: info
`;
const parse = (text: string): CorrespondentDaemonConfig => parseAnyConfig(text, 'cn.yaml') as CorrespondentDaemonConfig;

/** Each key changed alone: running value kept (restart) or taken (live), as the rule says. */
const VARIANTS: [key: string, from: string, to: string, read: (c: CorrespondentDaemonConfig) => unknown][] = [
  ['correspondent.address', 'address: 2001:db8:c::10', 'address: 2001:db8:c::20', (c) => c.correspondent.address],
  ['correspondent.max_lifetime', 'max_lifetime: 420', 'max_lifetime: 60', (c) => c.correspondent.core.maxLifetimeSeconds],
  ['correspondent.mcoa', 'mcoa: true', 'mcoa: false', (c) => c.correspondent.core.mcoaAllowed],
  ['correspondent.nonce_regenerate', 'nonce_regenerate: 30s', 'nonce_regenerate: 10s', (c) => c.correspondent.core.nonceRegenerateSeconds],
  ['correspondent.kcn_rotate', 'kcn_rotate: 1h', 'kcn_rotate: 2h', (c) => c.correspondent.core.kcnRotateSeconds],
  ['kernel.resync_interval', 'resync_interval: 5m', 'resync_interval: 1m', (c) => c.resyncIntervalSeconds],
  ['kernel.table', 'table: 254', 'table: 100', (c) => c.marks],
  ['log_level', 'log_level: info', 'log_level: debug', (c) => c.logLevel],
  ['wire_profile', 'log_level: info', 'log_level: info\nwire_profile: rfc5648', (c) => c.correspondent.core.profile.name],
];

for (const [key, from, to, read] of VARIANTS) {
  test(`correspondent reload planner: ${key} is ${'live' in ruleFor(RELOAD_RULES.correspondent!, key)!.rule ? 'taken at once' : 'kept until a restart'}, as its rule says`, () => {
    assert.ok(BASE.includes(from), from);
    const current = parse(BASE);
    const next = parse(BASE.replace(from, to));
    assert.notDeepEqual(read(next), read(current), 'the variant changes the key');
    const { running, resyncChanged } = planCorrespondentReload(current, next);
    const live = 'live' in ruleFor(RELOAD_RULES.correspondent!, key)!.rule;
    assert.deepEqual(read(running), read(live ? next : current));
    assert.equal(resyncChanged, key === 'kernel.resync_interval');
  });
}

test('correspondent reload, core: the next BU gets the new longest lifetime; with MCoA off a BID is refused; bindings stay', () => {
  const cn = newCn({ maxLifetimeSeconds: 420 });
  assert.equal(cn.processBu(sealedBu(cn, { seq: 1, lifetime: 400 })).ba?.message.lifetimeSeconds, 400);
  cn.reconfigure({ ...cn.config, maxLifetimeSeconds: 60, nonceRegenerateSeconds: 5 });
  assert.equal(cn.cache.size, 1, 'the binding made before stays');
  assert.equal(cn.processBu(sealedBu(cn, { seq: 2, lifetime: 400 })).ba?.message.lifetimeSeconds, 60);
  assert.equal(cn.config.nonceRegenerateSeconds, 30, 'the nonce schedule stays as started');
  cn.reconfigure({ ...cn.config, mcoaAllowed: false });
  const withBid = cn.processBu(sealedBu(cn, { seq: 3, lifetime: 400, options: [bid(1)] }));
  assert.equal(withBid.ba?.message.status, DRAFT04_PROFILE.status.prohibited, '§4.3 MCOA PROHIBITED');
});

function rewrite(r: Running, body: string): void {
  writeFileSync(r.dir.config, `${body}state_directory: ${r.dir.state}\ncontrol:\n  socket: ${r.dir.socket}\n`);
}

test('correspondent reload through the shell: live keys applied, the address named as waiting for a restart', async () => {
  const body = 'role: correspondent\ncorrespondent:\n  address: 2001:db8:c::10\n';
  const r = await serveRole(CORRESPONDENT_ROLE, body);
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  rewrite(r, 'role: correspondent\ncorrespondent:\n  address: 2001:db8:c::20\n  max_lifetime: 60\n  mcoa: false\nlog_level: warn\n');
  const res = await command<ReloadResult>(r, 'reload');
  assert.deepEqual(res.applied?.map((a) => a.key).sort(), ['correspondent.max_lifetime', 'correspondent.mcoa', 'log_level']);
  assert.deepEqual(res.notApplied?.map((n) => n.key), ['correspondent.address']);
  assert.match(res.notApplied![0]!.detail, /address/);
  assert.equal(await stop(r), 0);
});
