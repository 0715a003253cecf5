// The caps of issue 12 through the daemons on the host doubles: the correspondent's
// max_bindings (130, counted, logged once a second, applied at reload) under a flood of
// authenticated Binding Updates from distinct home addresses, and max_journal_backlog at
// both roles while the journal is slow (new BUs dropped unanswered, counted, logged; taken
// again once the commits went through).
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { StatsView } from '../../../lib/control/protocol.js';
import { CORRESPONDENT_ROLE } from '../../../lib/daemon/cn/daemon.js';
import { HOME_AGENT_ROLE } from '../../../lib/daemon/ha/daemon.js';
import { formatIp6, mustParseIp6, type Ip6 } from '../../../lib/inet/ip6.js';
import { bindingManagementKey, sealBindingAuthorization } from '../../../lib/proto/common/rr-crypto.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { XFRM_MSG_NEWSA } from '../../../lib/platform/xfrm/xfrm-constants.js';
import { BaStatus, IPPROTO_NONE, type BindingUpdate, type CareOfTest, type HomeTest, type MobilityMessage } from '../../../lib/wire/types.js';
import { ip6 } from '../../ip6.js';
import { HA_ADDRESS, command, homeAgentYaml, serveRole, stopAll, until, type FakeMhSocket, type Running } from './fake-host.js';

afterEach(stopAll);

const NETLINK_XFRM = 6;
const CN_ADDRESS = ip6('2001:db8:c::10');
const COA = ip6('2001:db8:a::1');
const COOKIE = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const cnYaml = (limits: string): string => `role: correspondent\ncorrespondent:\n  address: ${CN_ADDRESS}\nlimits: ${limits}\n`;

/** The i-th home address of a /96 (distinct for every i < 2^32). */
function nthHoa(prefix: string, i: number): Ip6 {
  const a = mustParseIp6(prefix);
  a[12] = (i >>> 24) & 0xff;
  a[13] = (i >>> 16) & 0xff;
  a[14] = (i >>> 8) & 0xff;
  a[15] = i & 0xff;
  return formatIp6(a);
}

const decoded = (data: Uint8Array): MobilityMessage | null => {
  const d = decodeMessage(data, DRAFT04_PROFILE);
  return d.ok ? d.value : null;
};

/** Statuses of the BAs sent so far (each sent message decoded once: the flood's tally is polled). */
const tallies = new WeakMap<FakeMhSocket, { seen: number; statuses: number[] }>();
function baStatuses(mh: FakeMhSocket): number[] {
  let t = tallies.get(mh);
  if (!t) tallies.set(mh, (t = { seen: 0, statuses: [] }));
  for (; t.seen < mh.sent.length; t.seen++) {
    const m = decoded(mh.sent[t.seen]!.data);
    if (m?.kind === 'ba') t.statuses.push(m.status);
  }
  return t.statuses;
}

/** What the daemon sent last, which must be of `kind`. */
function lastSent<K extends MobilityMessage['kind']>(mh: FakeMhSocket, kind: K): Extract<MobilityMessage, { kind: K }> {
  const m = decoded(mh.sent[mh.sent.length - 1]!.data);
  assert.equal(m?.kind, kind);
  return m as Extract<MobilityMessage, { kind: K }>;
}

/** A mobile node with home address `hoa` at COA: HoTI through the daemon, then a sealed BU with the care-of token `cot`. */
function rrBu(mh: FakeMhSocket, hoa: Ip6, cot: CareOfTest, sequence = 1): void {
  mh.receive({ data: encodeMessage({ kind: 'hoti', payloadProto: IPPROTO_NONE, checksum: 0, cookie: COOKIE, options: [] }, DRAFT04_PROFILE), src: hoa, dst: CN_ADDRESS, ifindex: 2 });
  const hot: HomeTest = lastSent(mh, 'hot');
  const bu: BindingUpdate = {
    kind: 'bu',
    payloadProto: IPPROTO_NONE,
    checksum: 0,
    sequence,
    flags: { a: true, h: false, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds: 400,
    options: [
      { kind: 'nonceIndices', homeNonceIndex: hot.nonceIndex, careOfNonceIndex: cot.nonceIndex },
      { kind: 'bindingAuthData', authenticator: new Uint8Array(12) },
    ],
  };
  const raw = Uint8Array.from(encodeMessage(bu, DRAFT04_PROFILE));
  assert.ok(sealBindingAuthorization(raw, bindingManagementKey(hot.keygenToken, cot.keygenToken), mustParseIp6(COA), mustParseIp6(CN_ADDRESS)));
  mh.receive({ data: raw, src: hoa, dst: CN_ADDRESS, ifindex: 2, homeAddressOption: COA });
}

function careOfTest(mh: FakeMhSocket): CareOfTest {
  mh.receive({ data: encodeMessage({ kind: 'coti', payloadProto: IPPROTO_NONE, checksum: 0, cookie: COOKIE, options: [] }, DRAFT04_PROFILE), src: COA, dst: CN_ADDRESS, ifindex: 2 });
  return lastSent(mh, 'cot');
}

const warnings = (r: Running, re: RegExp): Record<string, unknown>[] => r.lines.filter((l) => typeof l['msg'] === 'string' && re.test(l['msg']));

test('correspondent: a flood of 20,000 authenticated BUs from distinct home addresses stops at max_bindings; 130s counted and logged once a second; a reload raises the cap', async () => {
  const r = await serveRole(CORRESPONDENT_ROLE, cnYaml('{ max_bindings: 3 }'));
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const mh = r.host.mh[0]!;
  const cot = careOfTest(mh);
  const flood = 20_000;
  // In bursts of 1,000 (below the journal backlog cap), as a socket hands them over between commits.
  for (let i = 0; i < flood; i++) {
    rrBu(mh, nthHoa('2001:db8:f100::', i), cot);
    if (i % 1000 === 999) await until(`BUs up to ${i} answered`, () => baStatuses(mh).length === i + 1);
  }
  const statuses = baStatuses(mh);
  assert.equal(statuses.filter((s) => s === BaStatus.ACCEPTED).length, 3);
  assert.equal(statuses.filter((s) => s === BaStatus.INSUFFICIENT_RESOURCES).length, flood - 3);

  const stats = await command<StatsView>(r, 'show-stats');
  assert.equal(stats.bindings, 3);
  assert.equal(stats.homeAddresses, 3);
  assert.equal(stats.counters['limits']?.['bindings'], flood - 3);
  assert.ok((stats.counters['nonces']?.['held'] ?? Infinity) <= 10, 'the nonce table is bounded by time, not by senders');
  const states = r.host.kernel.received(NETLINK_XFRM, XFRM_MSG_NEWSA).length;
  assert.ok(states > 0 && states <= 3 * 4, `XFRM states written for 3 bindings: ${states}`);
  // The clock did not move: one line for the whole flood.
  assert.equal(warnings(r, /refused with 130 .* limit bindings reached/).length, 1);
  r.host.clock.advance(1000);
  rrBu(mh, nthHoa('2001:db8:f100::', flood), cot);
  await until('the next 130', () => baStatuses(mh).length === flood + 1);
  const lines = warnings(r, /refused with 130 .* limit bindings reached/);
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!['suppressed'], flood - 4, 'the second line says how many were left out');

  await r.dir.write(cnYaml('{ max_bindings: 4 }'));
  await command(r, 'reload');
  rrBu(mh, nthHoa('2001:db8:f100::', flood + 1), cot);
  await until('the BU after the reload answered', () => baStatuses(mh).length === flood + 2);
  assert.equal(baStatuses(mh).at(-1), BaStatus.ACCEPTED);
  assert.equal((await command<StatsView>(r, 'show-stats')).bindings, 4);
});

test('correspondent: with the journal slow, BUs past max_journal_backlog are dropped unanswered and counted; taken again once it caught up', async () => {
  const r = await serveRole(CORRESPONDENT_ROLE, cnYaml('{ max_journal_backlog: 4 }'));
  const mh = r.host.mh[0]!;
  const cot = careOfTest(mh);
  r.host.store!.hold();
  for (let i = 0; i < 10; i++) rrBu(mh, nthHoa('2001:db8:f200::', i), cot);
  const stats = await command<StatsView>(r, 'show-stats');
  assert.equal(stats.counters['refused']?.['journal-backlog'], 6);
  assert.equal(baStatuses(mh).length, 0, 'no BA before its commit');
  assert.equal(warnings(r, /limit max_journal_backlog reached/).length, 1);
  r.host.store!.release();
  await until('the four admitted BUs acknowledged', () => baStatuses(mh).length === 4);
  rrBu(mh, nthHoa('2001:db8:f200::', 10), cot);
  await until('a BU after the backlog drained is answered', () => baStatuses(mh).length === 5);
  assert.equal((await command<StatsView>(r, 'show-stats')).bindings, 5);
});

function homeBu(mh: FakeMhSocket, hoa: Ip6): void {
  const bu: BindingUpdate = { kind: 'bu', payloadProto: IPPROTO_NONE, checksum: 0, sequence: 1, flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false }, lifetimeSeconds: 400, options: [] };
  mh.receive({ data: encodeMessage(bu, DRAFT04_PROFILE), src: hoa, dst: HA_ADDRESS, ifindex: 2, homeAddressOption: COA });
}

test('home agent: with the journal slow, BUs past max_journal_backlog are dropped unanswered and counted; a reload moves the cap', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, `${homeAgentYaml()}limits: { max_journal_backlog: 4 }\n`);
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const mh = r.host.mh[0]!;
  r.host.store!.hold();
  for (let i = 0; i < 10; i++) homeBu(mh, nthHoa('2001:db8:1::', 0x100 + i));
  const stats = await command<StatsView>(r, 'show-stats');
  assert.equal(stats.counters['refused']?.['journal-backlog'], 6);
  assert.equal(stats.bindings, 4, 'only the admitted BUs reached the core');
  assert.equal(baStatuses(mh).length, 0);
  assert.equal(warnings(r, /limit max_journal_backlog reached/).length, 1);
  r.host.store!.release();
  await until('the four admitted BUs acknowledged', () => baStatuses(mh).length === 4);
  assert.deepEqual(baStatuses(mh), [0, 0, 0, 0]);

  await r.dir.write(`${homeAgentYaml()}limits: { max_journal_backlog: 1 }\n`);
  await command(r, 'reload');
  r.host.store!.hold();
  homeBu(mh, nthHoa('2001:db8:1::', 0x200));
  homeBu(mh, nthHoa('2001:db8:1::', 0x201));
  assert.equal((await command<StatsView>(r, 'show-stats')).counters['refused']?.['journal-backlog'], 7, 'the lowered cap took one');
  r.host.store!.release();
  await until('the admitted one acknowledged', () => baStatuses(mh).length === 5);
});
