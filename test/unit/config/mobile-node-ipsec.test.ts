// `mobile_node.ipsec`: the static ESP SAs that protect the mobile node's Binding Updates and
// the Binding Acknowledgements it receives (RFC 3776 §4, RFC 4877): required while
// ipsec.required is on (the default), optional and still used when it is off, read by the
// home agent's reader (same checks, key never repeated in a message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigFileError, MN_IPSEC_OFF_WARNING, parseAnyConfig } from '../../../lib/config/index.js';
import { MAX_IPSEC_REQID } from '../../../lib/config/ipsec-section.js';

const SECRET_DIGITS = 'cd'.repeat(16);
const KEY = `0x${SECRET_DIGITS}01020304`;

const IPSEC = `  ipsec:
    spi_in: 0x1002
    spi_out: 0x1001
    aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 }
`;

function file(ipsec: string, top = ''): string {
  return `role: mobile-node
mobile_node:
  home_address: 2001:db8:aa::100
  home_agent: 2001:db8:aa::1
  interfaces: [mn1, mn2]
${ipsec}${top}`;
}

function problems(text: string): string[] {
  try {
    parseAnyConfig(text, 'mn.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `ConfigFileError expected, got ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('the file was accepted');
}

function settings(text: string) {
  const c = parseAnyConfig(text, 'mn.yaml');
  if (c.role !== 'mobile-node') assert.fail(c.role);
  return c;
}

test('RFC 3776 §4: with ipsec.required on (the default) the SAs reach the mobile node settings; no warning', () => {
  const c = settings(file(IPSEC));
  const m = c.mobileNode;
  assert.ok(m.ipsec);
  assert.equal(m.ipsec.spiOut, 0x1001, 'spi_out: mobile node -> home agent (the BUs)');
  assert.equal(m.ipsec.spiIn, 0x1002, 'spi_in: home agent -> mobile node (the BAs)');
  assert.equal(m.ipsec.reqid, undefined);
  assert.equal(m.ipsec.aead.name, 'rfc4106(gcm(aes))');
  assert.equal(m.ipsec.aead.icvBits, 128);
  assert.equal(Buffer.from(m.ipsec.aead.key).toString('hex'), KEY.slice(2));
  assert.equal(m.ipsecRequired, true, 'the core is told the BUs are ESP-protected (§5.3)');
  assert.deepEqual(c.warnings, []);
  // Written explicitly, the same.
  assert.equal(settings(file(IPSEC, 'ipsec: { required: true }\n')).mobileNode.ipsec?.spiOut, 0x1001);
});

test('a pinned reqid is kept', () => {
  const m = settings(file(IPSEC.replace('    aead:', `    reqid: ${MAX_IPSEC_REQID}\n    aead:`))).mobileNode;
  assert.equal(m.ipsec?.reqid, MAX_IPSEC_REQID);
});

test('ipsec.required: false: the SAs are optional; present, they are still used and nothing warns', () => {
  const without = settings(file('', 'ipsec: { required: false }\n'));
  assert.equal(without.mobileNode.ipsec, undefined);
  assert.equal(without.mobileNode.ipsecRequired, false);
  assert.deepEqual(without.warnings, [MN_IPSEC_OFF_WARNING]);
  const withSas = settings(file(IPSEC, 'ipsec: { required: false }\n'));
  assert.equal(withSas.mobileNode.ipsec?.spiIn, 0x1002);
  assert.equal(withSas.mobileNode.ipsecRequired, true);
  assert.deepEqual(withSas.warnings, []);
});

const PAYLOAD = `    payload:\n      spi_in: 0x3002\n      spi_out: 0x3001\n      aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 }\n`;

test('MCoA §8.3.2: ipsec.payload reaches the settings (spi_out: the tunnels to the home agent, spi_in: from it)', () => {
  const m = settings(file(IPSEC + PAYLOAD)).mobileNode;
  assert.equal(m.ipsec?.payload?.spiOut, 0x3001);
  assert.equal(m.ipsec?.payload?.spiIn, 0x3002);
  assert.equal(Buffer.from(m.ipsec?.payload?.aead.key ?? new Uint8Array()).toString('hex'), KEY.slice(2));
  assert.equal(settings(file(IPSEC)).mobileNode.ipsec?.payload, undefined);
});

test('ipsec.payload.spi_out equal to the signalling spi_out is refused (both SAs go to the home agent address), key not repeated', () => {
  const got = problems(file(IPSEC + PAYLOAD.replace('spi_out: 0x3001', 'spi_out: 0x1001')));
  assert.deepEqual(got.filter((l) => l.includes('payload.spi_out')).length, 1, got.join('\n'));
  assert.ok(got.some((l) => l.includes('must differ from the signalling spi_out')), got.join('\n'));
  assert.ok(!got.join('\n').includes(SECRET_DIGITS));
});

test('RFC 6275 §11.7.1: key_management_mobility defaults to false, true when written, not a boolean refused', () => {
  assert.equal(settings(file(IPSEC)).mobileNode.keyManagementMobility, false);
  assert.equal(settings(file(IPSEC + '  key_management_mobility: true\n')).mobileNode.keyManagementMobility, true);
  const got = problems(file(IPSEC + '  key_management_mobility: 3\n'));
  assert.ok(got.length === 1 && got[0]!.includes('mobile_node.key_management_mobility'), got.join('\n'));
});

const NO_SAS = 'missing required key ipsec (ipsec.required is true): the ESP SAs shared with the home agent; or set ipsec.required: false (lab only)';

const ROWS: [string, string, string[]][] = [
  ['required by default, missing', file(''), [`mn.yaml:3:3: mobile_node: ${NO_SAS}`]],
  ['required written, missing', file('', 'ipsec: { required: true }\n'), [`mn.yaml:3:3: mobile_node: ${NO_SAS}`]],
  ['not a mapping', file('  ipsec: yes\n'), ['mn.yaml:6:10: mobile_node.ipsec: expected a mapping, got string "yes"']],
  ['missing spi_out', file(IPSEC.replace('    spi_out: 0x1001\n', '')), ['mn.yaml:7:5: mobile_node.ipsec: missing required key spi_out']],
  ['reserved SPI', file(IPSEC.replace('spi_out: 0x1001', 'spi_out: 0xff')), ['mn.yaml:8:14: mobile_node.ipsec.spi_out: out of range 256..4294967295: 255']],
  ['same SPI both ways', file(IPSEC.replace('spi_out: 0x1001', 'spi_out: 0x1002')), ['mn.yaml:8:14: mobile_node.ipsec.spi_out: must differ from spi_in (one SA per direction)']],
  ['unknown key', file(IPSEC.replace('    aead:', '    spi: 1\n    aead:')), ['mn.yaml:9:5: mobile_node.ipsec.spi: unknown key']],
  ['reqid outside the band', file(IPSEC.replace('    aead:', '    reqid: 7\n    aead:')), [/^mn\.yaml:9:12: mobile_node\.ipsec\.reqid: out of range \d+\.\.\d+: 7$/.source]],
  ['unknown algorithm', file(IPSEC.replace("name: 'rfc4106(gcm(aes))'", "name: 'cbc(aes)'")), [/^mn\.yaml:9:19: mobile_node\.ipsec\.aead\.name: must be one of /.source]],
  ['key of the wrong length', file(IPSEC.replace('01020304', '0102')), ['mn.yaml:9:45: mobile_node.ipsec.aead.key: rfc4106(gcm(aes)) takes a key of 20, 28, 36 octets (cipher key and 4-octet salt), not 18']],
  ['key not quoted hex', file(IPSEC.replace(`'${KEY}'`, `'${SECRET_DIGITS}zz'`)), ["mn.yaml:9:45: mobile_node.ipsec.aead.key: must be a quoted hex string '0x...' with an even number of digits (value not shown)"]],
];

for (const [name, text, expected] of ROWS) {
  test(`mobile_node.ipsec problem reported with position and key path: ${name}`, () => {
    const got = problems(text);
    assert.equal(got.length, expected.length, got.join('\n'));
    expected.forEach((e, i) => assert.match(got[i]!, new RegExp(e.startsWith('^') ? e : `^${e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)));
    assert.ok(!got.join('\n').includes(SECRET_DIGITS), 'no message repeats the key');
  });
}

test('ipsec.payload.spi_in may equal the signalling spi_in on the mobile node (they arrive at the care-of and the home address)', () => {
  const m = settings(file(`${IPSEC}    payload: { spi_in: 0x1002, spi_out: 0x2001, aead: { name: 'rfc4106(gcm(aes))', key: '${KEY}', icv_bits: 128 } }\n`));
  assert.equal(m.mobileNode.ipsec?.payload?.spiIn, 0x1002);
});
