// The member key's codec (lib/cluster/membership.ts): preferences, and the drained mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMember } from '../../../lib/cluster/membership.js';

test('member key: preferences and the drained mark read back; anything else is refused', () => {
  assert.deepEqual(decodeMember('{"node":"ha1","preferences":{"2001:db8::1":200}}'), { node: 'ha1', preferences: { '2001:db8::1': 200 } });
  assert.deepEqual(decodeMember('{"node":"ha1","preferences":{},"drained":true}'), { node: 'ha1', preferences: {}, drained: true });
  assert.deepEqual(decodeMember('{"node":"ha1","preferences":{},"drained":false}'), { node: 'ha1', preferences: {} });
  for (const bad of ['', 'null', '{"node":1,"preferences":{}}', '{"node":"ha1","preferences":{"a":1.5}}', '{"node":"ha1","preferences":{},"drained":"yes"}']) {
    assert.equal(decodeMember(bad), null, bad);
  }
});
