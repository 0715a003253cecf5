// The man pages' renderer and their one source: text never turns into roff requests, every
// mcoactl command appears in mcoactl(8), and groff renders all three pages without warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { COMMANDS } from '../../../lib/cli/main.js';
import { manPages, REPO_ROOT } from '../../../packaging/deb.js';
import { escapeRoff, renderManPage, type ManPage } from '../../../packaging/man/roff.js';

test('escapeRoff: backslashes, hyphens and a leading dot or quote cannot become roff', () => {
  assert.equal(escapeRoff('a\\b'), 'a\\eb');
  assert.equal(escapeRoff('--config'), '\\-\\-config');
  assert.equal(escapeRoff('.SH not a header'), '\\&.SH not a header');
  assert.equal(escapeRoff("'br"), "\\&'br");
});

test('inline markup: `code` is bold, *word* italic; an example block is verbatim lines', () => {
  const page: ManPage = {
    name: 'x',
    section: 8,
    summary: 's',
    synopsis: ['`x` *FILE*'],
    sections: [
      { title: 'Description', blocks: [{ kind: 'para', text: 'run `x --check` on *FILE*' }] },
      { title: 'Example', blocks: [{ kind: 'example', lines: ['.hidden: 1', 'key: `v`'] }] },
    ],
  };
  const roff = renderManPage(page, '1.0', '2024-01-02');
  assert.match(roff, /^\.TH "X" "8" "2024-01-02" "mcoa 1\.0" "mcoa"$/m);
  assert.match(roff, /^\\fBx\\fR \\fIFILE\\fR$/m);
  assert.match(roff, /^run \\fBx \\-\\-check\\fR on \\fIFILE\\fR$/m);
  assert.match(roff, /^\\&\.hidden: 1$/m);
  assert.match(roff, /^key: `v`$/m, 'no markup inside examples');
});

const pages = manPages(REPO_ROOT);

test('one source gives mcoad(8), mcoactl(8) and mcoad.yaml(5)', () => {
  assert.deepEqual(
    pages.map((p) => `${p.name}(${p.section})`),
    ['mcoad(8)', 'mcoactl(8)', 'mcoad.yaml(5)'],
  );
});

test('mcoactl(8) lists every command with every usage line of the CLI table', () => {
  const roff = renderManPage(pages[1]!, '0', '2024-01-01');
  for (const [name, c] of COMMANDS) {
    assert.ok(roff.includes(escapeRoff(c.summary)), `summary of ${name}`);
    for (const u of c.usage) assert.ok(roff.includes(`\\fB${escapeRoff(u)}\\fR`), `usage ${u}`);
  }
});

test('mcoad.yaml(5) shows the packaged example and names every top-level key', () => {
  const roff = renderManPage(pages[2]!, '0', '2024-01-01');
  for (const key of ['role', 'home_agent', 'mobile_node', 'correspondent', 'ipsec', 'wire_profile', 'kernel', 'state_directory', 'control', 'log_level', 'netns']) {
    assert.ok(roff.includes(`\\fB${escapeRoff(key)}`), key);
  }
  assert.ok(roff.includes('role: home\\-agent'), 'the example file');
});

for (const page of pages) {
  test(`groff renders ${page.name}(${page.section}) without warnings`, () => {
    const roff = renderManPage(page, '0.1.0', '2024-01-01');
    // -ww: all warnings; -z: no output. Warnings go to stderr.
    const r = execFileSync('sh', ['-c', 'groff -man -Tutf8 -ww -z 2>&1'], { input: roff, encoding: 'utf8' });
    assert.equal(r, '');
    const text = execFileSync('groff', ['-man', '-Tutf8'], { input: roff, encoding: 'utf8' });
    assert.match(text, new RegExp(`^${page.name.toUpperCase().replace('.', '\\.')}\\(${page.section}\\)`));
  });
}
