// `home_agent.authorisation.home_addresses.<HOA>.ipsec.payload` (MCoA §8.3.2): what the
// loader accepts, one row per mistake with its position, keys never echoed.
import { ip6 } from '../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, parseConfig } from '../../../lib/config/index.js';
import { signallingIpsecXfrm } from '../../../lib/plan/ha/signalling-ipsec.js';
import { payloadIpsecXfrm } from '../../../lib/plan/ha/payload-ipsec.js';
import { DEFAULT_XFRM_BANDS } from '../../../lib/reconcile/drivers/xfrm.js';

const KEY = `0x${'ab'.repeat(16)}c0ffee00`;
const PAYLOAD_KEY = `0x${'cd'.repeat(32)}c0ffee01`;
const SECRET_DIGITS = ['ab'.repeat(16), 'cd'.repeat(32)];

function file(payload: string): string {
  return `role: home-agent
home_agent:
  interface: eth1
  address: 2001:db8:1::1
  served_prefixes: [2001:db8:1::/64]
  authorisation:
    home_addresses:
      2001:db8:1::100:
        ipsec:
          spi_in: 0x1001
          spi_out: 0x1002
          aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 }
${payload}`;
}
const GOOD = `          payload:
            spi_in: 0x2001
            spi_out: 0x2002
            aead: { name: 'rfc4106(gcm(aes))', key: '${PAYLOAD_KEY}', icv_bits: 96 }
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

test('§8.3.2: payload SAs of a home address reach the daemon configuration beside its signalling SAs', () => {
  const c = parseConfig(file(GOOD), 'mcoad.yaml');
  const sa = c.ipsecSas[ip6('2001:db8:1::100')];
  assert.ok(sa);
  assert.equal(sa.spiIn, 0x1001);
  assert.ok(sa.payload);
  assert.equal(sa.payload.spiIn, 0x2001);
  assert.equal(sa.payload.spiOut, 0x2002);
  assert.equal(sa.payload.aead.name, 'rfc4106(gcm(aes))');
  assert.equal(sa.payload.aead.icvBits, 96);
  assert.equal(Buffer.from(sa.payload.aead.key).toString('hex'), PAYLOAD_KEY.slice(2));
});

test('payload is optional', () => {
  const c = parseConfig(file(''), 'mcoad.yaml');
  assert.equal(c.ipsecSas[ip6('2001:db8:1::100')]?.payload, undefined);
});

const P = 'home_agent.authorisation.home_addresses[2001:db8:1::100].ipsec.payload';
const ROWS: [string, string, string[]][] = [
  ['missing spi_out and aead', `          payload:\n            spi_in: 0x2001\n`,
    [`mcoad.yaml:14:13: ${P}: missing required key spi_out`, `mcoad.yaml:14:13: ${P}: missing required key aead`]],
  ['unknown key', GOOD + `            reqid: 5\n`, [`mcoad.yaml:17:13: ${P}.reqid: unknown key`]],
  ['RFC 4303 §2.1: reserved SPI', GOOD.replace('0x2002', '0'), [`mcoad.yaml:15:22: ${P}.spi_out: out of range 256..4294967295: 0`]],
  ['same SPI both ways', GOOD.replace('0x2002', '0x2001'), [`mcoad.yaml:15:22: ${P}.spi_out: must differ from spi_in (one SA per direction)`]],
  ['spi_in of the signalling SA (both arrive at the home agent address)', GOOD.replace('0x2001', '0x1001'),
    [`mcoad.yaml:14:21: ${P}.spi_in: must differ from the signalling spi_in (both arrive at the home agent address)`]],
  ['key of the wrong length', GOOD.replace(PAYLOAD_KEY, KEY.slice(0, -2)),
    [`mcoad.yaml:16:53: ${P}.aead.key: rfc4106(gcm(aes)) takes a key of 20, 28, 36 octets (cipher key and 4-octet salt), not 19`]],
  ['key not hex', GOOD.replace(PAYLOAD_KEY, `${PAYLOAD_KEY.slice(0, -1)}z`),
    [`mcoad.yaml:16:53: ${P}.aead.key: must be a quoted hex string '0x...' with an even number of digits (value not shown)`]],
  ['not a mapping', `          payload: yes\n`, [`mcoad.yaml:13:20: ${P}: expected a mapping, got string "yes"`]],
];

for (const [name, payload, expected] of ROWS) {
  test(`ipsec.payload problem reported with position and key path: ${name}`, () => {
    const lines = problems(file(payload));
    assert.deepEqual(lines, expected);
    for (const l of lines) for (const s of SECRET_DIGITS) assert.ok(!l.includes(s), `key echoed: ${l}`);
  });
}

test('a payload problem refuses the whole ipsec entry (no half-configured home address)', () => {
  assert.equal(problems(file(GOOD.replace('0x2002', '0x2001'))).length, 1);
});

test('ipsec.replay_window: 1..32 on the inbound SAs (signalling and payload); 0 or absent none; above 32 refused', () => {
  const withWindow = (n: number): string => file(GOOD).replace('          aead:', `          replay_window: ${n}\n          aead:`);
  const sa = parseConfig(withWindow(32), 'mcoad.yaml').ipsecSas[ip6('2001:db8:1::100')]!;
  assert.equal(sa.replayWindow, 32);
  assert.equal(sa.payload?.replayWindow, 32);
  const ha = ip6('2001:db8:1::1');
  const sig = signallingIpsecXfrm({ [ip6('2001:db8:1::100')]: sa }, ha, DEFAULT_XFRM_BANDS);
  assert.deepEqual(sig.states.map((s) => [s.dst === ha ? 'in' : 'out', s.replayWindow]), [['in', 32], ['out', undefined]]);
  const pay = payloadIpsecXfrm(ha, [{ local: ha, remote: ip6('2001:db8:f1::10') }], sa.payload!, 1, DEFAULT_XFRM_BANDS);
  assert.deepEqual(pay.states.map((s) => [s.dst === ha ? 'in' : 'out', s.replayWindow]), [['in', 32], ['out', undefined]]);
  assert.equal(parseConfig(withWindow(0), 'mcoad.yaml').ipsecSas[ip6('2001:db8:1::100')]?.replayWindow, undefined);
  assert.ok(problems(withWindow(33)).some((p) => /replay_window: out of range 0\.\.32/.test(p)));
});
