// Per home address ESP security associations (`home_agent.authorisation.home_addresses.<HOA>.ipsec`):
// what the loader accepts, one row per mistake with its position, keys never echoed, and the
// XFRM states and policies the daemon derives from them (RFC 3776 §4-5).
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigFileError, loadConfigFile, parseConfig } from '../../../lib/config/index.js';
import { ipsecReqids, POLICY_PRIORITY_OFFSET, signallingIpsecXfrm } from '../../../lib/plan/ha/signalling-ipsec.js';
import { homeAddressOptionXfrm } from '../../../lib/plan/ha/xfrm.js';
import { parseXfrmStat } from '../../../lib/daemon/xfrm-stat.js';
import { policyKey } from '../../../lib/plan/common/xfrm-objects.js';
import { DEFAULT_XFRM_BANDS } from '../../../lib/reconcile/drivers/xfrm.js';

const KEY = `0x${'ab'.repeat(16)}c0ffee00`;
const SECRET_DIGITS = 'ab'.repeat(16);

function file(ipsec: string, hoa = '2001:db8:1::100'): string {
  return `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
  authorisation:
    home_addresses:
      ${hoa}:
        ipsec:
${ipsec}`;
}
const GOOD = `          spi_in: 0x1001
          spi_out: 0x1002
          aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, 'mcoad.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `ConfigFileError expected, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

test('RFC 3776 §4: static SAs of a home address reach the daemon configuration', () => {
  const c = parseConfig(file(GOOD, '2001:DB8:1:0::100'), 'mcoad.yaml');
  const sa = c.ipsecSas[ip6('2001:db8:1::100')];
  assert.ok(sa);
  assert.equal(sa.spiIn, 0x1001);
  assert.equal(sa.spiOut, 0x1002);
  assert.equal(sa.reqid, undefined);
  assert.equal(sa.aead.name, 'rfc4106(gcm(aes))');
  assert.equal(sa.aead.icvBits, 128);
  assert.equal(Buffer.from(sa.aead.key).toString('hex'), KEY.slice(2));
  assert.equal(c.homeAgent.authorisation.homeAddresses[ip6('2001:db8:1::100')]?.allowed, true);
});

test('the example file carries SAs for one home address', async () => {
  const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
  const c = await loadConfigFile(join(root, 'examples', 'mcoad.yaml'));
  assert.deepEqual(Object.keys(c.ipsecSas), ['2001:db8:1::100']);
  assert.equal(c.ipsecSas[ip6('2001:db8:1::100')]?.aead.key.length, 20);
});

test('no ipsec entries: no SAs', () => {
  const c = parseConfig(file(GOOD).replace(/\n\s+ipsec:\n[^]*$/, ' { allowed: true }\n'), 'mcoad.yaml');
  assert.deepEqual(Object.keys(c.homeAgent.authorisation.homeAddresses), ['2001:db8:1::100']);
  assert.deepEqual(c.ipsecSas, {});
});

const ROWS: [string, string, string[]][] = [
  ['missing key and name', `          spi_in: 0x1001\n          spi_out: 0x1002\n          aead: { icv_bits: 128 }\n`,
    ['mcoad.yaml:12:17: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead: missing required key name',
      'mcoad.yaml:12:17: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead: missing required key key']],
  ['missing spi_out', `          spi_in: 0x1001\n          aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 }\n`,
    ['mcoad.yaml:10:11: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec: missing required key spi_out']],
  ['RFC 4303 §2.1: reserved SPI', GOOD.replace('0x1001', '255'),
    ['mcoad.yaml:10:19: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.spi_in: out of range 256..4294967295: 255']],
  ['same SPI both ways', GOOD.replace('0x1002', '0x1001'),
    ['mcoad.yaml:11:20: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.spi_out: must differ from spi_in (one SA per direction)']],
  ['unknown algorithm', GOOD.replace('rfc4106(gcm(aes))', 'gcm(aes)'),
    ["mcoad.yaml:12:25: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead.name: must be one of rfc4106(gcm(aes)), rfc7539esp(chacha20,poly1305); got string \"gcm(aes)\""]],
  ['ICV size of another algorithm', GOOD.replace('icv_bits: 128', 'icv_bits: 80'),
    ['mcoad.yaml:12:107: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead.icv_bits: rfc4106(gcm(aes)) takes an ICV of 64, 96, 128 bits, not 80']],
  ['key without its salt (16 octets)', GOOD.replace(KEY, `0x${SECRET_DIGITS}`),
    ['mcoad.yaml:12:51: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead.key: rfc4106(gcm(aes)) takes a key of 20, 28, 36 octets (cipher key and 4-octet salt), not 16']],
  ['key not hex', GOOD.replace(KEY, `${KEY.slice(0, -1)}g`),
    ["mcoad.yaml:12:51: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead.key: must be a quoted hex string '0x...' with an even number of digits (value not shown)"]],
  ['key unquoted, read as a number', GOOD.replace(`'${KEY}'`, '0x1234'),
    ["mcoad.yaml:12:51: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.aead.key: must be a quoted hex string '0x...' with an even number of digits (value not shown)"]],
  ['reqid outside the band', GOOD + `          reqid: 7\n`,
    [`mcoad.yaml:13:18: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.reqid: out of range ${DEFAULT_XFRM_BANDS.reqidBase + 1}..${DEFAULT_XFRM_BANDS.reqidBase + DEFAULT_XFRM_BANDS.reqidCount - 1}: 7`]],
];

for (const [name, ipsec, expected] of ROWS) {
  test(`ipsec problem reported with position and key path: ${name}`, () => {
    const lines = problems(file(ipsec));
    assert.deepEqual(lines, expected);
    for (const l of lines) assert.ok(!l.includes(SECRET_DIGITS), `key echoed: ${l}`);
  });
}

test('ipsec belongs to a home address, not to the default entry', () => {
  const text = file(GOOD).replace('    home_addresses:\n      2001:db8:1::100:\n        ipsec:', '    default:\n        ipsec:');
  assert.deepEqual(problems(text), ['mcoad.yaml:8:9: home_agent.authorisation.default.ipsec: unknown key']);
});

test('two home addresses cannot share an inbound SPI (all inbound SAs have the home agent as destination)', () => {
  const text = file(GOOD) + `      2001:db8:1::101:\n        ipsec:\n${GOOD.replace('0x1002', '0x2002')}`;
  assert.deepEqual(problems(text), ['mcoad.yaml:15:11: home_agent.authorisation.home_addresses[2001:db8:1::101].ipsec.spi_in: same spi_in as 2001:db8:1::100']);
});

test('two home addresses cannot share a pinned reqid (templates match SAs by reqid alone)', () => {
  const reqid = `          reqid: ${DEFAULT_XFRM_BANDS.reqidBase + 5}\n`;
  const text = file(GOOD + reqid) + `      2001:db8:1::101:\n        ipsec:\n${GOOD.replace('0x1001', '0x2001')}${reqid}`;
  assert.deepEqual(problems(text), ['mcoad.yaml:16:11: home_agent.authorisation.home_addresses[2001:db8:1::101].ipsec.reqid: same reqid as 2001:db8:1::100']);
});

test('RFC 3776 §5 / RFC 4877 §4.1: ESP transport SAs both ways and BU-in/BA-out/Mobile-Prefix-Advertisement-out/Solicitation-in policies per home address', () => {
  const c = parseConfig(file(GOOD) + `      2001:db8:1::101:\n        ipsec:\n${GOOD.replace('0x1001', '0x2001').replace('0x1002', '0x2002')}          reqid: ${DEFAULT_XFRM_BANDS.reqidBase + 1}\n`, 'x.yaml');
  const o = signallingIpsecXfrm(c.ipsecSas, ip6('2001:db8:1::1'), DEFAULT_XFRM_BANDS);
  // The pinned reqid is kept; the other home address gets the next free one.
  assert.deepEqual([...ipsecReqids(c.ipsecSas, DEFAULT_XFRM_BANDS)].sort(), [
    ['2001:db8:1::100', DEFAULT_XFRM_BANDS.reqidBase + 2],
    ['2001:db8:1::101', DEFAULT_XFRM_BANDS.reqidBase + 1],
  ]);
  const r = DEFAULT_XFRM_BANDS.reqidBase + 2;
  assert.deepEqual(
    o.states.filter((s) => s.reqid === r).map((s) => `${s.src}>${s.dst} spi ${s.spi.toString(16)} proto ${s.proto} mode ${s.mode} ${s.aead?.name}/${s.aead?.icvBits}`),
    ['2001:db8:1::100>2001:db8:1::1 spi 1001 proto 50 mode 0 rfc4106(gcm(aes))/128', '2001:db8:1::1>2001:db8:1::100 spi 1002 proto 50 mode 0 rfc4106(gcm(aes))/128'],
  );
  const p = o.policies.filter((x) => x.templates[0]?.reqid === r);
  assert.deepEqual(p.map((x) => `${x.dir} ${x.selector.src}/${x.selector.srcLen}>${x.selector.dst}/${x.selector.dstLen} p${x.selector.proto} mh${x.selector.mhType} type${x.selector.sport}`), [
    'in 2001:db8:1::100/128>2001:db8:1::1/128 p135 mh5 typeundefined',
    'out 2001:db8:1::1/128>2001:db8:1::100/128 p135 mh6 typeundefined',
    'out 2001:db8:1::1/128>2001:db8:1::100/128 p58 mhundefined type147',
    'in 2001:db8:1::100/128>2001:db8:1::1/128 p58 mhundefined type146',
    'in 2001:db8:1::100/128>2001:db8:1::1/128 p58 mhundefined type58',
  ]);
  // Linux 6.1 classifies the solicitation with its Destination Options header as type 58 code 2.
  assert.deepEqual([p[4]!.selector.sport, p[4]!.selector.dport, p[4]!.selector.dportMask], [58, 2, 0xffff]);
  assert.deepEqual(p[4]!.templates, p[3]!.templates);
  assert.equal(new Set(o.policies.map(policyKey)).size, o.policies.length, 'distinct kernel identities (the ICMPv6 type and code are part of the selector)');
  assert.deepEqual(p[2]!.templates.map((t) => [t.proto, t.mode, !!t.optional]), [[50, 0, false]], 'the advertisement under the BA\'s SA, required');
  assert.deepEqual(p[3]!.templates.map((t) => [t.proto, t.mode, !!t.optional]), [[50, 0, false], [60, 2, true]], 'RFC 6275 §11.4.2: the solicitation under the BU\'s SA, required, with its Home Address option as a BU');
  assert.equal(p[3]!.selector.sportMask, 0xffff);
  assert.equal(p[2]!.selector.sportMask, 0xffff, 'the ICMPv6 type matched exactly (as read back from a dump)');
  // Inbound: ESP required, then the optional Home Address option template; outbound: ESP only.
  assert.deepEqual(p[0]!.templates.map((t) => [t.proto, t.mode, !!t.optional]), [[50, 0, false], [60, 2, true]]);
  assert.deepEqual(p[1]!.templates.map((t) => [t.proto, t.mode, !!t.optional]), [[50, 0, false]]);
  assert.equal(o.inbound.get(ip6('2001:db8:1::100'))?.policy, p[0]);
  // The ESP policies take precedence over the wildcard Home Address option policy.
  const ro = homeAddressOptionXfrm(DEFAULT_XFRM_BANDS).policies[0]!;
  for (const x of o.policies) assert.ok(x.priority < ro.priority);
  assert.equal(ro.priority, DEFAULT_XFRM_BANDS.priorityBase + POLICY_PRIORITY_OFFSET.homeAddressOption);
  for (const x of [...o.policies, ro]) assert.ok(x.priority < DEFAULT_XFRM_BANDS.priorityBase + DEFAULT_XFRM_BANDS.priorityCount);
});

test('/proc/net/xfrm_stat lines become counters', () => {
  const text = 'XfrmInError             \t0\nXfrmInNoStates          \t3\nXfrmInTmplMismatch      \t12\nnonsense\n';
  assert.deepEqual(parseXfrmStat(text), { XfrmInError: 0, XfrmInNoStates: 3, XfrmInTmplMismatch: 12 });
});

test("one home address's payload spi_in cannot be another's signalling spi_in (same destination, the home agent)", () => {
  const payload = `          payload: { spi_in: 0x3001, spi_out: 0x3002, aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 } }\n`;
  const text = file(GOOD + payload) + `      2001:db8:1::101:\n        ipsec:\n${GOOD.replace('0x1001', '0x3001').replace('0x1002', '0x4002')}`;
  assert.deepEqual(problems(text), ['mcoad.yaml:16:11: home_agent.authorisation.home_addresses[2001:db8:1::101].ipsec.spi_in: same spi_in as 2001:db8:1::100 payload']);
});

test('signalling SAs from an IKE daemon: `sas: ike` with a reqid outside the band -> policies only, no SA', () => {
  const c = parseConfig(file('          sas: ike\n          reqid: 42\n'), 'mcoad.yaml');
  assert.deepEqual(c.ikeSignalling, { '2001:db8:1::100': { reqid: 42 } });
  assert.deepEqual(c.ipsecSas, {});
  const x = signallingIpsecXfrm(c.ipsecSas, ip6('2001:db8:1::1'), DEFAULT_XFRM_BANDS, c.ikeSignalling);
  assert.deepEqual(x.states, []);
  assert.deepEqual(x.policies.map((p) => [p.dir, p.selector.mhType ?? `icmp ${p.selector.sport}`, p.templates[0]?.reqid]), [['in', 5, 42], ['out', 6, 42], ['out', 'icmp 147', 42], ['in', 'icmp 146', 42], ['in', 'icmp 58', 42]]);
  assert.equal(x.inbound.get(ip6('2001:db8:1::100'))?.state, undefined);
});

test('`sas: ike` problems: a reqid inside the band, a missing reqid, keys next to it, another value', () => {
  const band = `0x${DEFAULT_XFRM_BANDS.reqidBase.toString(16)}..0x${(DEFAULT_XFRM_BANDS.reqidBase + DEFAULT_XFRM_BANDS.reqidCount - 1).toString(16)}`;
  assert.deepEqual(problems(file(`          sas: ike\n          reqid: ${DEFAULT_XFRM_BANDS.reqidBase + 5}\n`)), [
    `mcoad.yaml:11:18: home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.reqid: must lie outside mcoad's reqid band ${band}: the IKE daemon's SAs are not mcoad's to reconcile`,
  ]);
  assert.match(problems(file('          sas: ike\n'))[0]!, /ipsec: missing required key reqid/);
  assert.match(problems(file(`          sas: ike\n          reqid: 42\n${GOOD}`)).join('\n'), /ipsec\.spi_in: unknown key/);
  assert.match(problems(file('          sas: static\n          reqid: 42\n'))[0]!, /ipsec\.sas: must be one of ike/);
});
