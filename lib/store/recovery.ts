// Opening a store directory: snapshot, then every journal from the snapshot's generation
// on, cutting a torn last commit away; leftovers of an interrupted compaction are removed.
import { mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { LiveState } from './live-state.js';
import { scanLines, StoreError } from './line-format.js';
import { checkedRecords, readSnapshot } from './snapshot.js';
import { fsyncDir, JOURNAL_APPEND, journalGenerations, journalName, pathIn, SNAPSHOT_TMP } from './files.js';

export interface Recovered {
  state: LiveState;
  /** Generation of the journal new commits go to, open for appending. */
  generation: number;
  journal: FileHandle;
  /** Records and bytes already in that journal (they count towards compaction). */
  journalRecords: number;
  journalBytes: number;
  /** Bytes of a torn last commit that were cut away (0 normally). */
  truncatedBytes: number;
}

export async function recover(dir: string): Promise<Recovered> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await unlink(pathIn(dir, SNAPSHOT_TMP)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  const state = new LiveState();
  const snapshot = await readSnapshot(dir);
  for (const r of snapshot?.records ?? []) state.apply(r);
  const first = snapshot?.nextJournal ?? 1;

  const live: number[] = [];
  for (const gen of await journalGenerations(dir)) {
    if (gen < first) await unlink(pathIn(dir, journalName(gen)));
    else live.push(gen);
  }
  let journalRecords = 0;
  let journalBytes = 0;
  let truncatedBytes = 0;
  for (const [i, gen] of live.entries()) {
    const file = pathIn(dir, journalName(gen));
    const buf = await readFile(file);
    const scan = scanLines(buf, file);
    const isLast = i === live.length - 1;
    if (scan.torn && !isLast) {
      // Only the newest journal can hold an unfinished commit (commits are serial).
      throw new StoreError('STORE_CORRUPT', `${file}: corrupt at offset ${scan.torn.offset}: ${scan.torn.reason}`, file, scan.torn.offset);
    }
    journalRecords = 0;
    for (const line of scan.lines) {
      const records = checkedRecords(line.value, file, line.offset);
      for (const r of records) state.apply(r);
      journalRecords += records.length;
    }
    journalBytes = scan.goodEnd;
    if (scan.torn) {
      truncatedBytes = buf.length - scan.goodEnd;
      await truncateDurably(file, scan.goodEnd);
    }
  }

  let generation = live[live.length - 1];
  if (generation === undefined) {
    generation = first;
    await (await open(pathIn(dir, journalName(generation)), 'wx', 0o600)).close();
    await fsyncDir(dir);
  }
  const journal = await open(pathIn(dir, journalName(generation)), JOURNAL_APPEND, 0o600);
  return { state, generation, journal, journalRecords, journalBytes, truncatedBytes };
}

async function truncateDurably(file: string, length: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
