// The harness's host-side package for package-install.test.js: built only when that file
// runs, and again only when what the package is made from changed (a hash of the inputs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtPackage, inputsHash, preparePackage, PACKAGE_DIR } from '../../../test/uml/package-artifact.js';

test('inputs hash: stable for the same tree, changed by a source edit or a new source, not by other files; nothing built for other test files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mcoa-artifact-'));
  try {
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'package.json'), '{"version":"1.0.0"}');
    writeFileSync(join(root, 'lib/a.ts'), 'export const a = 1;\n');
    const h1 = inputsHash(root);
    assert.equal(inputsHash(root), h1);
    writeFileSync(join(root, 'lib/a.ts'), 'export const a = 2;\n');
    const h2 = inputsHash(root);
    assert.notEqual(h2, h1);
    writeFileSync(join(root, 'lib/b.ts'), '');
    const h3 = inputsHash(root);
    assert.notEqual(h3, h2);
    writeFileSync(join(root, 'unrelated.txt'), 'not packaged');
    assert.equal(inputsHash(root), h3, 'a file the package is not made from changes nothing');

    const said: string[] = [];
    await preparePackage(root, ['/x/dist/test/kernel/reconcile.test.js'], (l) => said.push(l));
    assert.deepEqual(said, []);
    assert.equal(builtPackage(root), undefined);
    mkdirSync(join(root, PACKAGE_DIR), { recursive: true });
    writeFileSync(join(root, PACKAGE_DIR, 'mcoa_1.0.0_amd64.deb'), '');
    assert.equal(builtPackage(root), join(root, PACKAGE_DIR, 'mcoa_1.0.0_amd64.deb'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
