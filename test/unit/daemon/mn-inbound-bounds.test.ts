// The mobile node under hostile input (issue 12): Binding Refresh Requests, BAs, HoTs and
// CoTs from addresses that are no peer of its create no state (the core only looks peers
// up), and the log lines they cause share one rate limit (daemon/mn/inbound-log.ts).
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { BindingView } from '../../../lib/control/protocol.js';
import { MOBILE_NODE_ROLE } from '../../../lib/daemon/mn/daemon.js';
import { InboundLogLimit } from '../../../lib/daemon/mn/inbound-log.js';
import { encodeMessage } from '../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../lib/wire/profiles.js';
import { IPPROTO_NONE } from '../../../lib/wire/types.js';
import { ip6 } from '../../ip6.js';
import { command, serveRole, stopAll } from './fake-host.js';

afterEach(stopAll);

const MN_YAML = `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  home_prefix_length: 64
  interfaces: [wlan0]
ipsec:
  required: false
`;

test('inbound log limit: ten lines a second for input-triggered events, the left-out count on the next; own-state events always', () => {
  const l = new InboundLogLimit();
  const allowed = Array.from({ length: 15 }, () => l.allow('refreshRequestFromUnknownPeer', 5000)).filter(Boolean).length;
  assert.equal(allowed, 10);
  assert.equal(l.allow('bindingRegistered', 5000), true, 'not triggered by input: never limited');
  assert.equal(l.allow('bindingAckNotAuthentic', 5999), false);
  assert.equal(l.allow('bindingAckNotAuthentic', 6000), true, 'a second later');
  assert.equal(l.takeSuppressed(), 6);
  assert.equal(l.takeSuppressed(), 0);
});

test('mobile node: 5,000 BRRs, HoTs and CoTs from strangers change nothing and log at most ten lines a second', async () => {
  const r = await serveRole(MOBILE_NODE_ROLE, MN_YAML);
  assert.equal(r.exit, undefined, r.messages().join('\n'));
  const mh = r.host.mh[0]!;
  const before = await command<BindingView[]>(r, 'show-bindings');
  const linesBefore = r.lines.length;
  const brr = encodeMessage({ kind: 'brr', payloadProto: IPPROTO_NONE, checksum: 0, options: [] }, DRAFT04_PROFILE);
  const token = { cookie: new Uint8Array(8), nonceIndex: 1, keygenToken: new Uint8Array(8), options: [] };
  const hot = encodeMessage({ kind: 'hot', payloadProto: IPPROTO_NONE, checksum: 0, ...token }, DRAFT04_PROFILE);
  const cot = encodeMessage({ kind: 'cot', payloadProto: IPPROTO_NONE, checksum: 0, ...token }, DRAFT04_PROFILE);
  for (let i = 0; i < 5000; i++) {
    const src = ip6(`2001:db8:bad::${(i + 1).toString(16)}`);
    for (const data of [brr, hot, cot]) mh.receive({ data, src, dst: ip6('2001:db8:aa::100'), ifindex: 2 });
  }
  assert.deepEqual(await command<BindingView[]>(r, 'show-bindings'), before, 'no peer, no Binding Update List entry');
  const stranger = r.lines.slice(linesBefore).filter((l) => ['refreshRequestFromUnknownPeer', 'homeTestUnmatched', 'careOfTestUnmatched'].includes(String(l['msg'])));
  assert.ok(stranger.length <= 10, `${stranger.length} lines`);
  r.host.clock.advance(1000);
  mh.receive({ data: brr, src: ip6('2001:db8:bad::ffff'), dst: ip6('2001:db8:aa::100'), ifindex: 2 });
  const next = r.lines.filter((l) => l['msg'] === 'refreshRequestFromUnknownPeer').at(-1);
  assert.equal(next?.['suppressed'], 3 * 5000 - stranger.length);
});
