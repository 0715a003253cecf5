// One instance's console turned into per-file reports (test/uml/file-output.ts) and the
// run's closing text (test/uml/parallel.ts): files whole, counts taken out and summed
// once, unfinished and unrun files named, and one exit status for several instances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURE_EXCERPT_LINES, FileOutputAssembler, failureExcerpt, formatSummary, summaryCount } from '../../uml/file-output.js';
import { closingReport, combinedStatus, type ParallelOutcome } from '../../uml/parallel.js';

/** An assembler with a clock the test moves and a list of the texts it printed. */
function assembler(instance: string | undefined, whole: boolean) {
  let clock = 0;
  const printed: string[] = [];
  const a = new FileOutputAssembler({
    instance, whole, print: (t) => printed.push(t), now: () => clock, displayName: (f) => f.replace('/repo/', ''),
  });
  return { a, printed, tick: (ms: number) => (clock += ms) };
}

const fileLines = (file: string, status: number, body: string[]): string[] =>
  [`mcoa-uml: file start ${file}`, ...body, `mcoa-uml: file end ${status} ${file}`];

const SPEC_SUMMARY = ['ℹ tests 2', 'ℹ suites 0', 'ℹ pass 2', 'ℹ fail 0', 'ℹ cancelled 0', 'ℹ skipped 0', 'ℹ todo 0', 'ℹ duration_ms 812.5'];

test('summaryCount reads spec and TAP closing lines, coloured or not, and nothing else', () => {
  const rows: [string, [string, number] | undefined][] = [
    ['ℹ pass 12', ['pass', 12]],
    ['# fail 1', ['fail', 1]],
    ['\u001b[34mℹ skipped 3\u001b[39m', ['skipped', 3]],
    ['ℹ duration_ms 1234.56', ['duration_ms', 1234.56]],
    ['ℹ tshark: 5 22756 1=2001:db8:f1::10', undefined],
    ['ℹ pass twelve', undefined],
    ['✔ pass 3 things (5ms)', undefined],
    ['# Subtest: pass 3', undefined],
  ];
  for (const [line, want] of rows) assert.deepEqual(summaryCount(line), want, line);
});

test('whole mode: two files print as two blocks, each only when it ends, with header and footer; counts leave the block', () => {
  const { a, printed, tick } = assembler('uml 2/2', true);
  a.line('mcoa-uml: init started');
  assert.deepEqual(printed, ['[uml 2/2] mcoa-uml: init started\n'], 'lines outside files pass at once, named');
  const first = fileLines('/repo/dist/a.test.js', 0, ['✔ one (5ms)', '✔ two (6ms)', ...SPEC_SUMMARY]);
  for (const l of first.slice(0, -1)) a.line(l);
  assert.equal(printed.length, 1, 'nothing of a file is printed before it ends');
  tick(12_345);
  a.line(first.at(-1) as string);
  assert.equal(printed.length, 2, 'the file is printed in one piece');
  assert.equal(printed[1],
    '--- dist/a.test.js (uml 2/2)\n✔ one (5ms)\n✔ two (6ms)\n--- dist/a.test.js: passed, pass 2, fail 0, skipped 0, 12.3 s (uml 2/2)\n');
  for (const l of fileLines('/repo/dist/b.test.js', 1, ['✖ three (1ms)', 'ℹ tests 2', 'ℹ pass 0', 'ℹ fail 1', 'ℹ cancelled 1'])) a.line(l);
  assert.equal(printed[2], '--- dist/b.test.js (uml 2/2)\n✖ three (1ms)\n--- dist/b.test.js: FAILED (exit status 1), pass 0, fail 1, cancelled 1, 0.0 s (uml 2/2)\n');
  assert.deepEqual(a.results.map((r) => [r.file, r.exitStatus, r.seconds, r.counts]), [
    ['/repo/dist/a.test.js', 0, 12.345, { tests: 2, suites: 0, pass: 2, fail: 0, cancelled: 0, skipped: 0, todo: 0, duration_ms: 812.5 }],
    ['/repo/dist/b.test.js', 1, 0, { tests: 2, pass: 0, fail: 1, cancelled: 1 }],
  ]);
});

test('live mode (one instance): header at once, lines as they come, summary held back for the sum', () => {
  const { a, printed } = assembler(undefined, false);
  a.line('mcoa-uml: file start /repo/x.test.js');
  assert.deepEqual(printed, ['--- x.test.js\n']);
  a.line('✔ one (5ms)');
  a.line('ℹ pass 1');
  assert.deepEqual(printed, ['--- x.test.js\n', '✔ one (5ms)\n']);
  a.line('mcoa-uml: file end 0 /repo/x.test.js');
  assert.deepEqual(printed.at(-1), '--- x.test.js: passed, pass 1, 0.0 s\n');
});

test('an instance that dies mid-file prints what the file wrote and marks it unfinished', () => {
  const { a, printed, tick } = assembler('uml 1/2', true);
  a.line('mcoa-uml: file start /repo/slow.test.js');
  a.line('✔ first scenario (90000ms)');
  tick(2000);
  a.close();
  assert.equal(printed.join(''), '--- slow.test.js (uml 1/2)\n✔ first scenario (90000ms)\n--- slow.test.js: DID NOT FINISH, 2.0 s (uml 1/2)\n');
  assert.equal(a.results[0]?.exitStatus, undefined);
  a.close();
  assert.equal(a.results.length, 1, 'closing twice reports once');
});

test('a test line that looks like an end marker of another file stays in the block', () => {
  const { a, printed } = assembler('uml 1/2', true);
  for (const l of fileLines('/repo/a.test.js', 0, ['mcoa-uml: file end 0 /repo/other.test.js'])) a.line(l);
  assert.match(printed.join(''), /--- a\.test\.js \(uml 1\/2\)\nmcoa-uml: file end 0 \/repo\/other\.test\.js\n--- a\.test\.js: passed/);
});

test('combinedStatus: a harness failure (first instance first) beats a test failure, which beats a pass', () => {
  const rows: [number[], number][] = [[[0, 0], 0], [[0, 1], 1], [[1, 124], 124], [[3, 124], 3], [[124, 0], 124], [[0], 0], [[1], 1]];
  for (const [statuses, want] of rows) assert.equal(combinedStatus(statuses), want, statuses.join(','));
});

test('closingReport: one sum in the reporter form, failed/unfinished/unrun files named, a failed instance named', () => {
  const outcome: ParallelOutcome = {
    exitStatus: 124,
    instances: [
      { label: 'uml 1/2', files: ['/r/a.js', '/r/b.js'], exitStatus: 1 },
      { label: 'uml 2/2', files: ['/r/c.js', '/r/d.js', '/r/e.js'], exitStatus: 124 },
    ],
    results: [
      { file: '/r/a.js', instance: 'uml 1/2', exitStatus: 0, seconds: 1, counts: { tests: 3, pass: 3, fail: 0, skipped: 1, duration_ms: 5 } },
      { file: '/r/b.js', instance: 'uml 1/2', exitStatus: 1, seconds: 1, counts: { tests: 2, pass: 1, fail: 1, skipped: 0, duration_ms: 5 } },
      { file: '/r/c.js', instance: 'uml 2/2', exitStatus: 0, seconds: 1, counts: { tests: 1, pass: 1, fail: 0, skipped: 0, duration_ms: 5 } },
      { file: '/r/d.js', instance: 'uml 2/2', exitStatus: undefined, seconds: 1, counts: {} },
    ],
  };
  const name = (f: string): string => f.slice(3);
  const spec = closingReport(outcome, 'spec', 61_000, name);
  assert.equal(spec.stdout, [
    'ℹ tests 6', 'ℹ pass 5', 'ℹ fail 1', 'ℹ skipped 1', 'ℹ duration_ms 61000.000',
    'uml-run: did not run: e.js (uml 2/2)',
    'uml-run: failed (exit status 1): b.js (uml 1/2)',
    'uml-run: did not finish: d.js (uml 2/2)',
    'uml-run: uml 1/2: 2 file(s), exit status 1 (tests failed); uml 2/2: 3 file(s), exit status 124 (timed out); total 61.0 s',
    '',
  ].join('\n'));
  assert.equal(spec.stderr, 'uml-run: FAILED: uml 2/2 timed out (exit status 124); see its messages above\n');
  assert.match(closingReport(outcome, 'tap', 1, name).stdout, /^# tests 6\n# pass 5\n# fail 1\n/);
});

test('closingReport: a single instance that passed adds only the sum; a reporter with no counts adds none', () => {
  const results = [{ file: '/r/a.js', instance: undefined, exitStatus: 0, seconds: 1, counts: { pass: 2 } }];
  const one: ParallelOutcome = { exitStatus: 0, instances: [{ label: undefined, files: ['/r/a.js'], exitStatus: 0 }], results };
  assert.deepEqual(closingReport(one, 'spec', 2000, (f) => f), { stdout: 'ℹ pass 2\nℹ duration_ms 2000.000\n', stderr: '' });
  const dot: ParallelOutcome = { ...one, results: [{ ...results[0]!, counts: {} }] };
  assert.deepEqual(closingReport(dot, 'dot', 2000, (f) => f), { stdout: '', stderr: '' });
});

test('formatSummary keeps node --test order whatever order the counts came in', () => {
  assert.equal(formatSummary({ fail: 0, pass: 4, tests: 4 }, 'spec'), 'ℹ tests 4\nℹ pass 4\nℹ fail 0\n');
});

test('a failed file keeps its reporter\'s account of the failures, and the closing report repeats it', () => {
  const { a } = assembler('uml 2/2', true);
  const body = ['✔ first (10ms)', '✖ second (20ms)', '  AssertionError: early', 'ℹ tests 2', 'ℹ fail 1',
    '✖ failing tests:', '', 'test at dist/x.test.js:3:1', '✖ second (20ms)', '  AssertionError: no ip6ip6 in clear'];
  for (const l of fileLines('/repo/x.test.js', 1, body)) a.line(l);
  const failed = a.results[0]!;
  assert.deepEqual(failed.failure, ['✖ failing tests:', '', 'test at dist/x.test.js:3:1', '✖ second (20ms)', '  AssertionError: no ip6ip6 in clear']);
  const outcome: ParallelOutcome = { exitStatus: 1, instances: [{ label: 'uml 2/2', files: ['/repo/x.test.js'], exitStatus: 1 }], results: [failed] };
  assert.match(closingReport(outcome, 'spec', 1, (f) => f.slice(6)).stdout,
    /uml-run: failed \(exit status 1\): x\.test\.js \(uml 2\/2\)\numl-run: {3}\| ✖ failing tests:\n(uml-run: {3}\| .*\n){3}uml-run: {3}\| {3}AssertionError: no ip6ip6 in clear\n/);

  const { a: passing } = assembler(undefined, false);
  for (const l of fileLines('/repo/y.test.js', 0, ['✔ fine (1ms)'])) passing.line(l);
  assert.equal(passing.results[0]?.failure, undefined, 'a passing file keeps nothing');
});

test('failureExcerpt: TAP from the first "not ok"; a long account is cut with a count; no marker: the tail', () => {
  assert.deepEqual(failureExcerpt(['ok 1 - a', 'not ok 2 - b', '  ---', '  error: x']), ['not ok 2 - b', '  ---', '  error: x']);
  const long = ['✖ failing tests:', ...Array.from({ length: 100 }, (_, i) => `line ${i}`)];
  const cut = failureExcerpt(long);
  assert.equal(cut.length, FAILURE_EXCERPT_LINES + 1);
  assert.equal(cut.at(-1), `... (${101 - FAILURE_EXCERPT_LINES} more line(s) above in the file's output)`);
  const plain = Array.from({ length: 100 }, (_, i) => `out ${i}`);
  assert.deepEqual(failureExcerpt(plain), plain.slice(-FAILURE_EXCERPT_LINES));
});
