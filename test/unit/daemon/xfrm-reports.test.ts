// §6.5 decisions on the kernel's XFRM reports, against the real home agent core.
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { HomeAgent } from '../../../lib/proto/ha/home-agent.js';
import { homeAgentConfig } from '../../../lib/proto/common/core-config.js';
import type { Outgoing } from '../../../lib/proto/common/outcome.js';
import { RateLimit } from '../../../lib/daemon/counters.js';
import { Metrics } from '../../../lib/daemon/metrics/metrics.js';
import { handleHaoReport } from '../../../lib/daemon/xfrm-reports.js';
import type { BindingError } from '../../../lib/wire/types.js';

const HA = ip6('2001:db8:aa::1');
const HOA = ip6('2001:db8:aa::100');
const COA = ip6('2001:db8:1::10');

function setup(sendPerSecond = 10) {
  const ha = new HomeAgent(homeAgentConfig({ homeAgentAddress: HA, servedPrefixes: ['2001:db8:aa::/64'], homeLinkInterface: 'home0', ipsecRequired: false }));
  const now = 1_000_000;
  const out = ha.processBu({
    bu: { kind: 'bu', payloadProto: 59, checksum: 0, sequence: 1, flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false }, lifetimeSeconds: 400, options: [] },
    hoa: HOA,
    careOfSource: COA,
    dst: HA,
    ipsecProtected: false,
    nowMs: now,
  });
  if (out.dad) ha.dadResult(HOA, true);
  const sent: Outgoing<BindingError>[] = [];
  const counters = new Metrics('home-agent');
  const ctx = {
    check: (h: Ip6, c: Ip6) => ha.checkHomeAddressOption(h, c),
    send: (o: Outgoing<BindingError>) => void sent.push(o),
    counters,
    log: pino({ level: 'silent' }),
    logLimit: new RateLimit(10),
    sendLimit: new RateLimit(sendPerSecond),
    now: () => now,
  };
  return { ctx, sent, counters };
}

const report = (coaddr: Ip6 | undefined, proto = 60) => ({
  proto,
  selector: { src: HOA, srcLen: 128, dst: HA, dstLen: 128, proto: 58 },
  ...(coaddr === undefined ? {} : { coaddr }),
});

const rows: { name: string; report: ReturnType<typeof report>; result: string; be: number }[] = [
  { name: '§6.5 unregistered care-of address -> Binding Error status 1 to it', report: report(ip6('2001:db8:1::20')), result: 'binding-error', be: 1 },
  { name: '§6.5 registered care-of address -> counted, no Binding Error', report: report(COA), result: 'registered', be: 0 },
  { name: 'a report from the routing header state is not about a Home Address option', report: report(ip6('2001:db8:1::20'), 43), result: 'not-hao', be: 0 },
  { name: 'a report without a care-of address is malformed', report: report(undefined), result: 'malformed', be: 0 },
];

for (const row of rows) {
  test(row.name, () => {
    const { ctx, sent } = setup();
    assert.equal(handleHaoReport(row.report, ctx), row.result);
    assert.equal(sent.length, row.be);
    if (row.be) {
      assert.equal(sent[0]!.message.status, 1);
      assert.equal(sent[0]!.dst, '2001:db8:1::20');
    }
  });
}

test('RFC 6275 §9.3.1 Binding Errors are rate limited; the rest are counted', () => {
  const { ctx, sent, counters } = setup(2);
  const results = Array.from({ length: 5 }, () => handleHaoReport(report(ip6('2001:db8:1::20')), ctx));
  assert.deepEqual(results, ['binding-error', 'binding-error', 'rate-limited', 'rate-limited', 'rate-limited']);
  assert.equal(sent.length, 2);
  assert.equal(counters.get('be_hao_unregistered'), 5);
  assert.equal(counters.get('be_rate_limited'), 3);
});
