// The store directory's files, and the few durable-write steps built on fs.promises:
//   snapshot           live records as of the start of journal N (header names N)
//   snapshot.tmp       a snapshot being written; removed at open (never renamed yet)
//   journal.N          commits since snapshot N; several exist only during a compaction
import { constants } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export const SNAPSHOT = 'snapshot';
export const SNAPSHOT_TMP = 'snapshot.tmp';
const JOURNAL_NAME = /^journal\.(\d+)$/;

export const journalName = (generation: number): string => `journal.${generation}`;

/** Generations of the journal files in `dir`, ascending. */
export async function journalGenerations(dir: string): Promise<number[]> {
  const gens: number[] = [];
  for (const name of await readdir(dir)) {
    const m = JOURNAL_NAME.exec(name);
    if (m) gens.push(Number(m[1]));
  }
  return gens.sort((a, b) => a - b);
}

/**
 * open(2) flags of a journal being appended to: O_DSYNC makes each write durable as a write
 * followed by fdatasync would, in one system call and one trip through libuv's thread pool
 * instead of two (a commit's latency is what a BA waits for).
 */
export const JOURNAL_APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC;
/** The same for a journal made now: created, never one that exists. */
export const JOURNAL_CREATE = JOURNAL_APPEND | constants.O_CREAT | constants.O_EXCL;

/** Makes a create, rename or unlink in `dir` durable (fsync of the directory itself). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** write() until every byte is written (a regular file may take a short write). */
export async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, null);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

export const pathIn = join;
