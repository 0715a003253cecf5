// Builds xstate-preload.c, the LD_PRELOAD that lets Debian's UML 6.1 run on hosts whose XSAVE
// area is larger than its fixed buffer (AVX-512, AMX); see the C file for why. Built once per
// source change into dist/uml/, with the host's C compiler, before any instance boots.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from './boot.js';

/** The shared object's path, (re)built from test/uml/xstate-preload.c when older than it. */
export function buildXstatePreload(repoRoot: string): string {
  const source = join(repoRoot, 'test', 'uml', 'xstate-preload.c');
  const outDir = join(repoRoot, 'dist', 'uml');
  const out = join(outDir, 'xstate-preload.so');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  mkdirSync(outDir, { recursive: true });
  const partial = `${out}.${process.pid}`;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', partial, source, '-ldl'], { encoding: 'utf8' });
  if (cc.error !== undefined || cc.status !== 0) {
    const why = cc.error?.message ?? cc.stderr.trim();
    throw new HarnessError(`building the UML register-state preload (${source}) failed: ${why}; install gcc and libc6-dev (sh .ci/uml-deps.sh)`);
  }
  renameSync(partial, out); // atomic: a concurrent harness sees the old file or the new one
  return out;
}

