// Home agent behaviour beyond single BU rules: decode errors, DAD hand-off, expiry,
// Binding Refresh Requests (§6.4) and the Home Address option check (§6.5).
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustParseIp6 } from '../../../lib/inet/ip6.js';
import { decodeMessage, encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { BaStatus } from '../../../lib/wire/types.js';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { bid, cacheLines, COA1, COA2, COA3, HA, haConfig, HOA, HOA2, makeBu, received } from './fixtures.js';
import { homeAgentDesired } from '../../../lib/plan/ha/desired.js';

function decodeError(bytes: Uint8Array) {
  const d = decodeMessage(bytes, DRAFT04_PROFILE);
  assert.equal(d.ok, false);
  if (d.ok) throw new Error('unreachable');
  return d.error;
}

test('§6.3 BID sub-option with C set but length 4 (decode error) -> BA MCOA INCOMPLIANT with the BU sequence', () => {
  const ha = new HomeAgent(haConfig());
  const bytes = Uint8Array.from(encodeMessage(makeBu({ seq: 77, options: [bid(1)] }), DRAFT04_PROFILE));
  const at = bytes.indexOf(35, 12); // the BID sub-option's Type octet
  bytes[at + 5] = 0x80; // C flag, no address follows
  const error = decodeError(bytes);
  assert.equal(error.code, 'BID_C_WITHOUT_COA');
  const o = ha.processDecodeError({ ...received(makeBu({ seq: 0 })), error });
  assert.equal(o.ba?.message.status, DRAFT04_PROFILE.status.incompliant);
  assert.equal(o.ba?.message.sequence, 77);
  assert.equal(ha.cache.size, 0);
});

test('§6.3 BID sub-option of length 6 (decode error) -> BA MCOA INCOMPLIANT', () => {
  const ha = new HomeAgent(haConfig());
  // BU: seq 9, A|H, lifetime 100 units; BID option length 6; PadN(2) to 24 octets.
  const bytes = Uint8Array.of(59, 2, 5, 0, 0, 0, 0, 9, 0xc0, 0, 0, 100, 35, 6, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0);
  const error = decodeError(bytes);
  assert.equal(error.code, 'BID_BAD_LENGTH');
  const o = ha.processDecodeError({ ...received(makeBu({ seq: 0 })), error });
  assert.equal(o.status, DRAFT04_PROFILE.status.incompliant);
  assert.equal(o.ba?.message.sequence, 9);
});

test('a decode error unrelated to BID sub-options is dropped without a BA', () => {
  const ha = new HomeAgent(haConfig());
  const error = decodeError(Uint8Array.of(59, 0, 5, 0, 0, 0, 0, 9));
  const o = ha.processDecodeError({ ...received(makeBu({ seq: 0 })), error });
  assert.equal(o.ba, null);
  assert.equal(o.refusal?.reason, 'malformed');
});

test('RFC 6275 §10.3.1 DAD fails -> BA 134 to the held BU, bindings removed, no kernel state', () => {
  const ha = new HomeAgent(haConfig());
  const o = ha.processBu(received(makeBu({ seq: 3, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] })));
  assert.ok(o.dad);
  assert.equal(o.ba, null);
  assert.equal(o.baDeferred, true);
  assert.deepEqual(o.dad.addresses, [HOA]);
  assert.equal(homeAgentDesired(ha).tunnels.size, 0, 'nothing installed while DAD runs');
  const r = ha.dadResult(HOA, false);
  assert.equal(r.ba?.message.status, BaStatus.DAD_FAILED);
  assert.equal(r.ba?.message.sequence, 3);
  assert.equal(r.ba?.message.lifetimeSeconds, 0);
  assert.deepEqual(r.events.map((e) => `${e.type}:${e.reason}`), ['removed:dad-failed', 'removed:dad-failed']);
  assert.equal(ha.cache.size, 0);
  // A fresh BU now starts over with DAD: no sequence number is remembered.
  assert.ok(ha.processBu(received(makeBu({ seq: 1 }))).dad);
});

test('RFC 6275 §10.3.1 a BU during DAD updates the held BA; success releases the latest', () => {
  const ha = new HomeAgent(haConfig());
  const first = ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 })] })));
  assert.ok(first.dad);
  const second = ha.processBu(received(makeBu({ seq: 2, options: [bid(2, { coa: COA2 })] }), { src: COA2 }));
  assert.equal(second.dad, null, 'one DAD per home address');
  assert.equal(second.baDeferred, true);
  const old = ha.processBu(received(makeBu({ seq: 1 })));
  assert.equal(old.ba?.message.status, 135, 'rejections are not held');
  const r = ha.dadResult(HOA, true);
  assert.equal(r.ba?.message.sequence, 2);
  assert.equal(r.ba?.dst, COA2);
  assert.equal(homeAgentDesired(ha).tunnels.size, 2);
  assert.equal(ha.dadResult(HOA, true).ba, null, 'a second result is ignored');
});

test('RFC 6275 §10.3.1 L flag: DAD and proxy ND cover the link-local address too', () => {
  const ha = new HomeAgent(haConfig());
  const o = ha.processBu(received(makeBu({ seq: 1, l: true })));
  assert.deepEqual(o.dad?.addresses, [HOA, 'fe80::200:ff:fe00:a2a2']);
  ha.dadResult(HOA, true);
  assert.deepEqual([...homeAgentDesired(ha).proxies.keys()].sort(), [`eth0|${HOA}`, 'eth0|fe80::200:ff:fe00:a2a2']);
});

test('the BA goes to the packet source with a type 2 routing header for the home address', () => {
  const ha = new HomeAgent(haConfig({ ipsecRequired: false }));
  ha.processBu(received(makeBu({ seq: 1 }), { src: COA3 }));
  const r = ha.dadResult(HOA, true);
  assert.deepEqual({ src: r.ba?.src, dst: r.ba?.dst, rh2: r.ba?.homeAddress }, { src: HA, dst: COA3, rh2: HOA });
});

test('expiry: bindings leave at their expiry time, one timer value for the daemon', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 1, lifetime: 100, options: [bid(1, { coa: COA1 })] }), { nowMs: 0 }));
  ha.dadResult(HOA, true);
  ha.processBu(received(makeBu({ seq: 2, lifetime: 200, options: [bid(2, { coa: COA2 })] }), { nowMs: 0 }));
  assert.equal(ha.nextExpiryMs(), 100_000);
  assert.deepEqual(ha.expire(99_999).events, []);
  const e = ha.expire(100_000);
  assert.deepEqual(e.events.map((x) => `${x.binding.bid}:${x.reason}`), ['1:expired']);
  assert.equal(e.nextExpiryMs, 200_000);
  // A refresh moves the expiry; the stale heap entry must not remove the refreshed binding.
  ha.processBu(received(makeBu({ seq: 3, lifetime: 400, options: [bid(2, { coa: COA2 })] }), { nowMs: 150_000 }));
  assert.deepEqual(ha.expire(200_000).events, []);
  assert.equal(ha.nextExpiryMs(), 550_000);
  assert.equal(ha.expire(550_000).events.length, 1);
  assert.equal(ha.nextExpiryMs(), null);
});

test('§6.4 Binding Refresh Request with the BID, once per lifetime, polled without timers', () => {
  const ha = new HomeAgent(haConfig({ brrPolicy: { enabled: true, leadSeconds: 20, leadFraction: 0.1 } }));
  ha.processBu(received(makeBu({ seq: 1, lifetime: 400, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] }), { nowMs: 0 }));
  ha.dadResult(HOA, true);
  // Lead = max(20 s, 10% of 400 s) = 40 s: due at 360 s.
  const early = ha.pollRefreshRequests(359_999);
  assert.deepEqual(early.requests, []);
  assert.equal(early.nextPollMs, 360_000);
  const due = ha.pollRefreshRequests(360_000);
  assert.deepEqual(
    due.requests.map((r) => [r.dst, r.homeAddress, r.message.options]),
    [
      [COA1, HOA, [{ kind: 'bid', bid: 1, status: 0, c: false, o: false, h: false }]],
      [COA2, HOA, [{ kind: 'bid', bid: 2, status: 0, c: false, o: false, h: false }]],
    ],
  );
  assert.equal(due.nextPollMs, null);
  assert.deepEqual(ha.pollRefreshRequests(370_000).requests, [], 'at most once per lifetime');
  ha.processBu(received(makeBu({ seq: 2, lifetime: 400, options: [bid(1, { coa: COA1 })] }), { nowMs: 380_000 }));
  assert.equal(ha.pollRefreshRequests(380_000).nextPollMs, 740_000, 'a refresh schedules a new request');
});

test('§6.4 a regular binding gets a request without BID sub-option; disabled policy sends none', () => {
  const on = new HomeAgent(haConfig());
  on.processBu(received(makeBu({ seq: 1, lifetime: 400 })));
  assert.deepEqual(on.pollRefreshRequests(399_000).requests.map((r) => r.message.options), [[]]);
  const off = new HomeAgent(haConfig({ brrPolicy: { enabled: false, leadSeconds: 20, leadFraction: 0.1 } }));
  off.processBu(received(makeBu({ seq: 1, lifetime: 400 })));
  assert.deepEqual(off.pollRefreshRequests(399_000), { requests: [], nextPollMs: null });
});

test('§6.5 Home Address option: accepted from any registered care-of address, else Binding Error 1', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 })] })));
  ha.dadResult(HOA, true);
  assert.deepEqual(ha.checkHomeAddressOption(HOA, COA2), { accept: true });
  const v = ha.checkHomeAddressOption(HOA, ip6(COA3));
  assert.equal(v.accept, false);
  if (v.accept) return;
  assert.equal(v.bindingError.message.status, 1);
  assert.equal(v.bindingError.dst, COA3);
  assert.deepEqual(v.bindingError.message.homeAddress, mustParseIp6(HOA));
  assert.equal(ha.checkHomeAddressOption(HOA2, COA1).accept, false, 'no binding at all');
});

test('§6.1 lookup by (home address, BID), falling back to the home address alone', () => {
  const ha = new HomeAgent(haConfig());
  ha.processBu(received(makeBu({ seq: 1, options: [bid(1, { coa: COA1 }), bid(2, { coa: COA2 }), bid(3, { coa: COA3 })] })));
  assert.equal(ha.cache.lookup(HOA, 2)?.coa, COA2);
  assert.equal(ha.cache.lookup(HOA, 9)?.coa, COA1, 'unknown BID: first match');
  assert.equal(ha.cache.lookup(HOA)?.coa, COA1);
  assert.equal(ha.cache.lookup(HOA2), undefined);
  assert.deepEqual(cacheLines(ha.cache).length, 3);
});
