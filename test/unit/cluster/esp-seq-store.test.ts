// The ESP sequence marks in a real etcd (lib/cluster/esp-seq.ts): written only while the
// fence (owner key) names the writer, in transactions of at most 100 puts, read back in one
// range read; a value that is not a sequence number is named, not used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterKeys } from '../../../lib/cluster/keys.js';
import { EspSeqStore, espSaId } from '../../../lib/cluster/esp-seq.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { skip, useEtcd } from './etcd-fixture.js';

const etcd = useEtcd();
const keys = new ClusterKeys('/t-esp/');
const FENCE = { key: keys.owner('2001:db8:aa::1' as Ip6), value: 'ha1' };

test('fenced writes of 250 marks, read back; a lost fence writes nothing; a bad value is named', { skip }, async () => {
  const client = etcd.client();
  const store = new EspSeqStore(client, keys.espSeq);
  const marks = new Map(Array.from({ length: 250 }, (_, i) => [espSaId({ dst: `2001:db8:f1::${(i + 1).toString(16)}` as Ip6, spi: 0x6002 }), 1000 + i] as [string, number]));
  assert.equal(await store.write(marks, FENCE), false, 'no owner key: not written');
  assert.equal((await store.readAll(1000)).marks.size, 0);
  await client.put(FENCE.key).value('ha1');
  assert.equal(await store.write(marks, FENCE), true);
  const back = await store.readAll(1000);
  assert.deepEqual(back.marks, marks);
  assert.deepEqual(back.bad, []);
  await client.put(FENCE.key).value('ha2');
  const id = [...marks.keys()][0]!;
  assert.equal(await store.write(new Map([[id, 99999]]), FENCE), false, 'another owner: not written');
  assert.equal((await store.readAll(1000)).marks.get(id), 1000);
  await client.put(store.key('2001:db8:f1::999/0x00006002')).value('lots');
  assert.deepEqual((await store.readAll(1000)).bad, [store.key('2001:db8:f1::999/0x00006002')]);
});
