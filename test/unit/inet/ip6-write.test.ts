// The allocation-free IPv6 text parser agrees with lib/inet/ip6.ts on every input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { writeIp6 } from '../../../lib/inet/ip6-write.js';
import { formatIp6, parseIp6 } from '../../../lib/inet/ip6.js';

function mine(text: string): string | null {
  const out = new Uint8Array(20);
  try {
    writeIp6(text, out, 2);
  } catch (err) {
    if (err instanceof TypeError) return null;
    throw err;
  }
  return Buffer.from(out.subarray(2, 18)).toString('hex');
}
function reference(text: string): string | null {
  const b = parseIp6(text);
  return b ? Buffer.from(b).toString('hex') : null;
}

test('table: forms with and without "::", IPv4-embedded, invalid ones', () => {
  for (const t of ['::', '::1', '1::', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '::ffff:192.0.2.1', 'fe80::1%eth0', '1::2::3', ':1::', '1:::2', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::', '1::2:', '', ':']) {
    assert.equal(mine(t), reference(t), t);
  }
});

test('property: canonical text of random addresses, and random strings over the alphabet', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => mine(formatIp6(b)) === Buffer.from(b).toString('hex')));
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,41}$/), (t) => mine(t) === reference(t)),
    { numRuns: 3000 },
  );
});
