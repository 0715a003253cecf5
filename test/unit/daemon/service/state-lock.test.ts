// One daemon per state directory: a second process is refused with the holder's pid and the
// directory; the lock goes with the holder's death (no stale lock after kill -9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE_NAME, StateDirectoryError, StateDirectoryLocked, StateLock } from '../../../../lib/daemon/service/state-lock.js';

const HOLDER = fileURLToPath(new URL('./state-lock-holder.js', import.meta.url));

function tempBase(): { base: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), 'mcoa-lock-'));
  return { base, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Starts a holder process and resolves once it reports that it holds the lock. */
function startHolder(dir: string): Promise<{ child: ChildProcess; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^locked (\d+)\n/.exec(out);
      if (m) resolve({ child, pid: Number(m[1]) });
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`holder ended before locking: code ${code}, signal ${signal}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

test('a second process is refused with "another mcoad (pid N) holds DIR"', async () => {
  const { base, cleanup } = tempBase();
  const dir = join(base, 'state');
  const { child, pid } = await startHolder(dir);
  try {
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'), `${pid}\n`);
    assert.throws(
      () => StateLock.acquire(dir),
      (e: unknown) => e instanceof StateDirectoryLocked && e.pid === pid && e.directory === dir && e.message === `another mcoad (pid ${pid}) holds ${dir}`,
    );
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'), `${pid}\n`, 'the refused process leaves the pid alone');
  } finally {
    child.kill('SIGKILL');
    await exited(child);
    cleanup();
  }
});

test('after the holder is killed with SIGKILL the lock is free and carries the new pid', async () => {
  const { base, cleanup } = tempBase();
  try {
    const { child, pid } = await startHolder(base);
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(readFileSync(join(base, LOCK_FILE_NAME), 'utf8'), `${pid}\n`, 'the dead holder left its pid');
    const lock = StateLock.acquire(base, 4242);
    assert.equal(readFileSync(join(base, LOCK_FILE_NAME), 'utf8'), '4242\n');
    lock.release();
  } finally {
    cleanup();
  }
});

test('within one process: a second acquire is refused until release; release is idempotent and empties the file', () => {
  const { base, cleanup } = tempBase();
  try {
    const first = StateLock.acquire(base);
    assert.ok(first.held);
    assert.throws(() => StateLock.acquire(base), (e: unknown) => e instanceof StateDirectoryLocked && e.pid === process.pid);
    first.release();
    first.release();
    assert.ok(!first.held);
    assert.equal(readFileSync(join(base, LOCK_FILE_NAME), 'utf8'), '');
    const second = StateLock.acquire(base);
    second.release();
  } finally {
    cleanup();
  }
});

test('a holder that has not written its pid yet is named as pid ?', () => {
  const { base, cleanup } = tempBase();
  try {
    const lock = StateLock.acquire(base);
    writeFileSync(join(base, LOCK_FILE_NAME), ''); // as between the holder's flock and its write
    assert.throws(() => StateLock.acquire(base), { message: `another mcoad (pid ?) holds ${base}` });
    lock.release();
  } finally {
    cleanup();
  }
});

test('an unusable state directory is named, with its errno and the key state_directory', () => {
  const { base, cleanup } = tempBase();
  try {
    const file = join(base, 'not-a-directory');
    writeFileSync(file, 'x');
    const dir = join(file, 'state');
    assert.throws(
      () => StateLock.acquire(dir),
      (e: unknown) => e instanceof StateDirectoryError && e.code === 'ENOTDIR' && e.directory === dir && e.message.includes(dir) && e.message.includes('state_directory'),
    );
  } finally {
    cleanup();
  }
});
