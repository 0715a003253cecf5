// Snapshots: the live records at a journal switch, written so that a crash at any step
// leaves a state that replays to the same bindings.
//
// Compaction order (BindingStore does steps 1-2 between two commits, the rest after):
//   1. create journal.N+1 and fsync the directory: commits after this go to N+1, and its
//      name must survive a crash before the first of them is acknowledged;
//   2. take the live records as of the end of journal.N (in memory, synchronously);
//   3. write snapshot.tmp with header {nextJournal: N+1}, fsync it;
//   4. rename snapshot.tmp over snapshot, fsync the directory;
//   5. unlink journal.N and older (now inside the snapshot).
// A crash before 4 leaves the old snapshot, whose journals (N and N+1) all still exist; a
// crash after 4 leaves the new snapshot and possibly journal.N, which open() removes
// unread because its generation is below the snapshot's nextJournal.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { encodeLine, scanLines, StoreError } from './line-format.js';
import { checkRecord, type StoreRecord } from './records.js';
import { fsyncDir, journalGenerations, journalName, pathIn, SNAPSHOT, SNAPSHOT_TMP, writeAll } from './files.js';

const RECORDS_PER_LINE = 1000;

interface SnapshotHeader {
  snapshot: 1;
  nextJournal: number;
  records: number;
}

/** Steps 3-5 above. */
export async function writeSnapshot(dir: string, records: readonly StoreRecord[], nextJournal: number): Promise<void> {
  const header: SnapshotHeader = { snapshot: 1, nextJournal, records: records.length };
  const parts = [encodeLine(header)];
  for (let i = 0; i < records.length; i += RECORDS_PER_LINE) parts.push(encodeLine(records.slice(i, i + RECORDS_PER_LINE)));
  const tmp = pathIn(dir, SNAPSHOT_TMP);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await writeAll(fh, Buffer.concat(parts));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, pathIn(dir, SNAPSHOT));
  await fsyncDir(dir);
  for (const gen of await journalGenerations(dir)) {
    if (gen < nextJournal) await unlink(pathIn(dir, journalName(gen)));
  }
}

/** The snapshot's records and the first journal generation after it; null when none. */
export async function readSnapshot(dir: string): Promise<{ records: StoreRecord[]; nextJournal: number } | null> {
  const file = pathIn(dir, SNAPSHOT);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  // A snapshot is renamed into place only once complete and fsynced: nothing may be torn.
  const scan = scanLines(buf, file);
  if (scan.torn) throw new StoreError('STORE_CORRUPT', `${file}: corrupt at offset ${scan.torn.offset}: ${scan.torn.reason}`, file, scan.torn.offset);
  const [head, ...body] = scan.lines;
  const h = head?.value as Partial<SnapshotHeader> | undefined;
  if (!h || h.snapshot !== 1 || !Number.isInteger(h.nextJournal) || !Number.isInteger(h.records)) {
    throw new StoreError('STORE_CORRUPT', `${file}: no valid snapshot header`, file, 0);
  }
  const records: StoreRecord[] = [];
  for (const line of body) records.push(...checkedRecords(line.value, file, line.offset));
  if (records.length !== h.records) {
    throw new StoreError('STORE_CORRUPT', `${file}: header promises ${h.records} records, found ${records.length}`, file, 0);
  }
  return { records, nextJournal: h.nextJournal! };
}

/** The records of one journal or snapshot line, all checked before any is used. */
export function checkedRecords(value: unknown, file: string, offset: number): StoreRecord[] {
  if (!Array.isArray(value)) throw new StoreError('STORE_CORRUPT', `${file}: line at offset ${offset} is not a record list`, file, offset);
  return value.map((v) => {
    const c = checkRecord(v);
    if (!c.ok) throw new StoreError('STORE_CORRUPT', `${file}: record at offset ${offset}: ${c.error}`, file, offset);
    return c.record;
  });
}
