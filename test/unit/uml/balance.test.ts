// The balance of kernel test files between user-mode Linux instances (test/uml/balance.ts):
// longest first to the least-loaded instance, unknown files at the median, and a record
// that refuses anything but positive seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FALLBACK_ESTIMATE_SECONDS, RecordError, defaultEstimate, formatRecord, parseRecord, partition, recordKey, withMeasurements,
} from '../../uml/balance.js';

const secondsOf = (table: Record<string, number>) => (f: string): number => table[f] ?? 1;

test('partition: rows of files, estimates and instances -> shares in given order, with their estimates', () => {
  const rows: { name: string; files: string[]; seconds: Record<string, number>; n: number; want: [string[], number][] }[] = [
    {
      name: 'longest first: the two long files go apart, each short one to the lighter side',
      files: ['a', 'b', 'c', 'd', 'e'],
      seconds: { a: 300, b: 280, c: 30, d: 20, e: 10 },
      n: 2,
      want: [[['a', 'd'], 320], [['b', 'c', 'e'], 320]],
    },
    {
      name: 'one file longer than all others together: it runs alone',
      files: ['a', 'b', 'c'],
      seconds: { a: 10, b: 500, c: 20 },
      n: 2,
      want: [[['b'], 500], [['a', 'c'], 30]],
    },
    {
      name: 'equal estimates: ties go to the lower instance, order of the list kept',
      files: ['a', 'b', 'c', 'd'],
      seconds: { a: 5, b: 5, c: 5, d: 5 },
      n: 2,
      want: [[['a', 'c'], 10], [['b', 'd'], 10]],
    },
    {
      name: 'more instances than files: one instance per file, none empty',
      files: ['a', 'b'],
      seconds: { a: 1, b: 2 },
      n: 4,
      want: [[['b'], 2], [['a'], 1]],
    },
    {
      name: 'one instance: everything, in the given order',
      files: ['c', 'a', 'b'],
      seconds: { a: 1, b: 2, c: 3 },
      n: 1,
      want: [[['c', 'a', 'b'], 6]],
    },
    {
      name: 'three instances',
      files: ['a', 'b', 'c', 'd', 'e', 'f'],
      seconds: { a: 60, b: 50, c: 40, d: 30, e: 20, f: 10 },
      n: 3,
      want: [[['a', 'f'], 70], [['b', 'e'], 70], [['c', 'd'], 70]],
    },
  ];
  for (const row of rows) {
    const shares = partition(row.files, secondsOf(row.seconds), row.n);
    assert.deepEqual(shares.map((s) => [s.files, s.estimateSeconds]), row.want, row.name);
    assert.deepEqual(shares.flatMap((s) => s.files).sort(), [...row.files].sort(), `${row.name}: every file exactly once`);
  }
});

test('partition: the longest share is never more than the longest file above the ideal split', () => {
  // The greedy bound: makespan <= total/n + max. Random sizes, fixed seed for repeatability.
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const files = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, i) => `f${i}`);
    const table = Object.fromEntries(files.map((f) => [f, 1 + Math.floor(next() * 600)]));
    const n = 1 + Math.floor(next() * 3);
    const shares = partition(files, secondsOf(table), n);
    const total = Object.values(table).reduce((a, b) => a + b, 0);
    const longest = Math.max(...Object.values(table));
    const makespan = Math.max(...shares.map((s) => s.estimateSeconds));
    assert.ok(makespan <= total / shares.length + longest, `round ${round}: ${makespan} > ${total}/${shares.length} + ${longest}`);
    assert.equal(shares.length, Math.min(n, files.length));
  }
});

test('partition refuses a non-positive or fractional instance count', () => {
  assert.throws(() => partition(['a'], () => 1, 0), RangeError);
  assert.throws(() => partition(['a'], () => 1, 1.5), RangeError);
});

test('defaultEstimate: the median of the recorded seconds, a fixed guess with no record', () => {
  assert.equal(defaultEstimate({ seconds: {} }), FALLBACK_ESTIMATE_SECONDS);
  assert.equal(defaultEstimate({ seconds: { a: 3, b: 100, c: 5 } }), 5);
  assert.equal(defaultEstimate({ seconds: { a: 3, b: 100, c: 5, d: 7 } }), 6);
});

test('recordKey: the path relative to the repository with /, nothing for files outside it', () => {
  assert.equal(recordKey('/repo', '/repo/dist/test/kernel/e2e.test.js'), 'dist/test/kernel/e2e.test.js');
  assert.equal(recordKey('/repo', '/elsewhere/x.test.js'), undefined);
  assert.equal(recordKey('/repo', '/repo'), undefined);
});

test('parseRecord accepts seconds per file and refuses every other shape, naming the source', () => {
  assert.deepEqual(parseRecord('{"seconds": {"a.test.js": 12.5}}', 'r.json'), { seconds: { 'a.test.js': 12.5 } });
  const bad: [string, RegExp][] = [
    ['not json', /r\.json: not JSON/],
    ['[]', /r\.json: not an object/],
    ['{}', /"seconds" must map/],
    ['{"seconds": [1]}', /"seconds" must map/],
    ['{"seconds": {"a": "12"}}', /"seconds"\."a" must be a positive number/],
    ['{"seconds": {"a": 0}}', /"seconds"\."a" must be a positive number/],
    ['{"seconds": {"a": -3}}', /"seconds"\."a" must be a positive number/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseRecord(text, 'r.json'), (err: unknown) => err instanceof RecordError && message.test(err.message), text);
  }
});

test('withMeasurements replaces measured files, keeps the rest; formatRecord sorts and rounds, and reads back', () => {
  const record = withMeasurements({ seconds: { b: 10, a: 20 } }, [{ key: 'a', seconds: 33.333 }, { key: 'c', seconds: 4.04 }]);
  assert.deepEqual(record, { seconds: { a: 33.333, b: 10, c: 4.04 } });
  const text = formatRecord(record);
  assert.equal(text, '{\n  "seconds": {\n    "a": 33.3,\n    "b": 10,\n    "c": 4\n  }\n}\n');
  assert.deepEqual(parseRecord(text, 'x'), { seconds: { a: 33.3, b: 10, c: 4 } });
});
