// Binding lifetimes run on the monotonic clock; the journal keeps wall-clock times. A
// wall-clock step (a router without RTC booting in 1970 until NTP sets the time, a clock
// set back by hand) must neither expire every binding nor extend any: the home agent on
// the host doubles, its wall clock stepped both ways while running and before a restart.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { BindingView } from '../../../lib/control/protocol.js';
import { HOME_AGENT_ROLE } from '../../../lib/daemon/ha/daemon.js';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { BindingStore, putRecord, seqRecord, type StoredBinding } from '../../../lib/store/index.js';
import { checkFrame, loadFrame } from '../../../lib/store/wall-frame.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import type { BindingUpdate } from '../../../lib/wire/types.js';
import { COA, HA_ADDRESS, HOA, command, homeAgentYaml, serveRole, stop, stopAll, until, type FakeMhSocket, type Running } from './fake-host.js';

afterEach(stopAll);

const DAY = 86_400_000;
/** 1970-01-02: what a router without RTC reads at boot. */
const BOOT_1970 = DAY;
const NOW_WALL = Date.UTC(2025, 5, 1);

function receiveBu(mh: FakeMhSocket, sequence: number, lifetimeSeconds: number): void {
  const bu: BindingUpdate = {
    kind: 'bu',
    payloadProto: 59,
    checksum: 0,
    sequence,
    flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
    lifetimeSeconds,
    options: [{ kind: 'bid', status: 0, bid: 1, c: true, o: false, h: false, coa: mustParseIp6(COA) }],
  };
  mh.receive({ data: encodeMessage(bu, DRAFT04_PROFILE), src: HOA, dst: HA_ADDRESS, ifindex: 2, homeAddressOption: COA });
}

const acks = (mh: FakeMhSocket): number => mh.sent.filter((s) => ((d) => d.ok && d.value.kind === 'ba')(decodeMessage(s.data, DRAFT04_PROFILE))).length;

async function lifetimeLeft(r: Running): Promise<number[]> {
  return (await command<BindingView[]>(r, 'show-bindings')).map((b) => b.lifetimeLeftSeconds);
}

/** The journal as a restart would read it (a second store on the same directory). */
async function journal(dir: string): Promise<StoredBinding[]> {
  const s = await BindingStore.open(dir);
  try {
    return s.loadAll().bindings;
  } finally {
    await s.close();
  }
}

test('wall frame: load takes the wall clock, or the newest record when the clock is behind it; steps forward move the frame, back ones do not', () => {
  const at = (registeredAtWallMs: number) => ({ bindings: [{ registeredAtWallMs } as StoredBinding] });
  assert.deepEqual(loadFrame(at(NOW_WALL - 1000), NOW_WALL, 5000), { offsetMs: NOW_WALL - 5000, frameNowMs: NOW_WALL, wallBehindMs: 0 });
  assert.deepEqual(loadFrame({ bindings: [] }, BOOT_1970, 5000), { offsetMs: BOOT_1970 - 5000, frameNowMs: BOOT_1970, wallBehindMs: 0 });
  assert.deepEqual(loadFrame(at(NOW_WALL), BOOT_1970, 5000), { offsetMs: NOW_WALL - 5000, frameNowMs: NOW_WALL, wallBehindMs: NOW_WALL - BOOT_1970 });
  assert.deepEqual(checkFrame(NOW_WALL, NOW_WALL + 5000 + 1500, 5000), { kind: 'same' }, 'drift under the step size');
  assert.deepEqual(checkFrame(BOOT_1970, NOW_WALL + 5000, 5000), { kind: 'forward', offsetMs: NOW_WALL, stepMs: NOW_WALL - BOOT_1970 });
  assert.deepEqual(checkFrame(NOW_WALL, NOW_WALL - DAY + 5000, 5000), { kind: 'back', stepMs: DAY });
});

test('running: the wall clock steps 1970 -> now, then a day back; lifetimes follow the monotonic clock, the journal the forward step', async () => {
  const r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), { prepare: (host) => host.clock.setWall(BOOT_1970) });
  const { clock } = r.host;
  const mh = r.host.mh[0]!;
  receiveBu(mh, 10, 400);
  await until('the BA', () => acks(mh) === 1);
  assert.deepEqual((await journal(r.dir.state)).map((b) => b.expiresAtWallMs), [BOOT_1970 + 400_000], 'written in the wall clock of the time');

  // NTP sets the time: nothing expires, nothing gains; the journal is rewritten in the new frame.
  clock.setWall(NOW_WALL);
  clock.advance(100_000);
  assert.deepEqual(await lifetimeLeft(r), [300]);
  await until('the journal rewritten', () => r.messages().some((m) => m.startsWith('the wall clock stepped forward')));
  let stored = await journal(r.dir.state);
  for (let i = 0; stored[0]?.expiresAtWallMs !== NOW_WALL + 400_000 && i < 100; i++) {
    await new Promise((res) => setTimeout(res, 20));
    stored = await journal(r.dir.state);
  }
  assert.deepEqual(stored.map((b) => b.expiresAtWallMs), [NOW_WALL + 400_000]);

  // A day back: lifetimes unaffected, and a refresh is journalled in the frame, not a day early.
  clock.stepWall(-DAY);
  clock.advance(100_000);
  assert.deepEqual(await lifetimeLeft(r), [200]);
  receiveBu(mh, 11, 400);
  await until('the second BA', () => acks(mh) === 2);
  assert.deepEqual((await journal(r.dir.state)).map((b) => b.expiresAtWallMs), [NOW_WALL + 200_000 + 400_000]);
  assert.ok(r.messages().some((m) => m.startsWith('the wall clock stepped back')));

  // Expiry exactly when the monotonic clock says, not earlier.
  clock.advance(399_000);
  assert.deepEqual(await lifetimeLeft(r), [1]);
  clock.advance(2_000);
  assert.deepEqual(await lifetimeLeft(r), []);
  assert.equal(await stop(r), 0);
});

/** A journal holding one binding of `lifetimeSeconds` registered at wall time `atWallMs`. */
async function writeJournal(dir: string, atWallMs: number, lifetimeSeconds: number): Promise<void> {
  const s = await BindingStore.open(dir);
  const b: StoredBinding = {
    hoa: HOA as StoredBinding['hoa'],
    bid: 1,
    coa: COA as StoredBinding['coa'],
    registeredAtWallMs: atWallMs,
    expiresAtWallMs: atWallMs + lifetimeSeconds * 1000,
    lifetimeSeconds,
    lastSequence: 10,
    flags: { homeRegistration: true, r: false, l: false, k: false },
    mobileNetworkPrefixes: [],
    homeBinding: false,
  };
  s.append([putRecord(b), seqRecord(b.hoa, 10)]);
  await s.commit();
  await s.close();
}

test('restart: a correct wall clock counts the downtime; one set back to 1970 neither expires the binding nor gives it more than it had when journalled', async () => {
  const ok = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), {
    prepare: async (host, dir) => {
      await writeJournal(dir.state, NOW_WALL - 100_000, 400);
      host.clock.setWall(NOW_WALL);
    },
  });
  assert.deepEqual(await lifetimeLeft(ok), [300]);
  assert.equal(ok.messages().filter((m) => m.startsWith('the wall clock is behind')).length, 0);
  assert.equal(await stop(ok), 0);

  const behind = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), {
    prepare: async (host, dir) => {
      await writeJournal(dir.state, NOW_WALL - 100_000, 400);
      host.clock.setWall(BOOT_1970);
    },
  });
  const left = await lifetimeLeft(behind);
  assert.equal(left.length, 1, 'not expired');
  // The real downtime is unknowable with the clock behind: the journal's newest time is the
  // lower bound, so it has what it had when written (400 s), never more, and is not expired.
  assert.deepEqual(left, [400]);
  assert.ok(behind.messages().some((m) => m.startsWith('the wall clock is behind')));
  // NTP then sets the time: the binding keeps its monotonic expiry.
  behind.host.clock.setWall(NOW_WALL + 60_000);
  behind.host.clock.advance(60_000);
  assert.deepEqual(await lifetimeLeft(behind), [left[0]! - 60]);
  assert.equal(await stop(behind), 0);
});
