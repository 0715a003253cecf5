// "Did you mean": edit distance and the nearest candidate, shared by the configuration's
// unknown keys and mcoactl's unknown commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, editDistance } from '../../../lib/config/suggest.js';

const distances: [string, string, number][] = [
  ['', '', 0],
  ['show', 'show', 0],
  ['shwo', 'show', 2],
  ['sho', 'show', 1],
  ['kitten', 'sitting', 3],
  ['', 'abc', 3],
];
for (const [a, b, d] of distances) {
  test(`editDistance(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${d}`, () => {
    assert.equal(editDistance(a, b), d);
    assert.equal(editDistance(b, a), d);
  });
}

test('closest: nearest within the limit, first of equals, then a prefix, else nothing', () => {
  const commands = ['decode', 'show', 'del', 'flush', 'reload', 'monitor'];
  assert.equal(closest('shw', commands), 'show');
  assert.equal(closest('FLUSH', commands), 'flush', 'case is ignored');
  assert.equal(closest('mon', commands), 'monitor', 'prefix');
  assert.equal(closest('m', commands), undefined, 'one letter is too little to guess from');
  assert.equal(closest('frobnicate', commands), undefined);
  assert.equal(closest('stat', ['bindings', 'stats']), 'stats');
  assert.equal(closest('xyz', ['xya', 'xyb']), 'xya', 'first of equals');
  assert.equal(closest('abcd', ['abxy'], 1), undefined, 'the limit holds');
});
