// When the active writes an ESP sequence high-water mark (lib/cluster/esp-seq.ts): the
// first report, then each time at most half the margin is left; one write in flight per SA,
// reports meanwhile looked at when it settles; marks never lowered; values checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EspSeqMarks, MAX_ESP_SEQ, decodeMark, espSaId, markAfter } from '../../../lib/cluster/esp-seq.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';

const ID = espSaId({ dst: '2001:db8:f1::10' as Ip6, spi: 0x3002 });

test('SA id: destination and SPI as eight hex digits', () => {
  assert.equal(ID, '2001:db8:f1::10/0x00003002');
});

test('first report writes oseq + margin; none until half the margin is used; then the next', () => {
  const m = new EspSeqMarks(1024);
  assert.equal(m.observe(ID, 2), 1026);
  assert.equal(m.settled(ID, 1026, true), null);
  assert.equal(m.mark(ID), 1026);
  for (const oseq of [4, 100, 513]) assert.equal(m.observe(ID, oseq), null, `oseq ${oseq}: 1026 − ${oseq} > 512 left`);
  assert.equal(m.observe(ID, 514), 1538, 'exactly half left: the next mark');
  assert.equal(m.settled(ID, 1538, true), null);
});

test('one write in flight: reports meanwhile are kept, and the highest is looked at when it settles', () => {
  const m = new EspSeqMarks(100);
  assert.equal(m.observe(ID, 10), 110);
  assert.equal(m.observe(ID, 70), null, 'in flight');
  assert.equal(m.observe(ID, 65), null, 'in flight');
  assert.equal(m.settled(ID, 110, true), 170, '70 ≥ 110 − 50: due at once');
  assert.equal(m.settled(ID, 170, true), null);
  assert.equal(m.mark(ID), 170);
});

test('a failed write leaves the old mark; the next report tries again', () => {
  const m = new EspSeqMarks(100);
  m.seed(ID, 500);
  assert.equal(m.observe(ID, 460), 560);
  assert.equal(m.settled(ID, 560, false), null);
  assert.equal(m.mark(ID), 500);
  assert.equal(m.observe(ID, 462), 562);
});

test('seed never lowers a mark; clear forgets them; the cap is 2^32 − 1', () => {
  const m = new EspSeqMarks(100);
  m.seed(ID, 900);
  m.seed(ID, 800);
  assert.equal(m.mark(ID), 900);
  m.clear();
  assert.equal(m.mark(ID), undefined);
  assert.equal(markAfter(MAX_ESP_SEQ - 10, 100), MAX_ESP_SEQ);
  m.seed(ID, MAX_ESP_SEQ);
  assert.equal(m.observe(ID, MAX_ESP_SEQ - 1), null, 'at the cap there is no higher mark to write');
  assert.throws(() => new EspSeqMarks(1), RangeError);
});

test('stored values: decimal sequence numbers only', () => {
  const rows: [string, number | null][] = [['0', 0], ['4294967295', MAX_ESP_SEQ], ['4294967296', null], ['-1', null], ['1e3', null], ['', null], ['12 ', null], ['0x10', null]];
  for (const [text, want] of rows) assert.equal(decodeMark(text), want, JSON.stringify(text));
});
