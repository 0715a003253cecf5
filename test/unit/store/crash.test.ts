// A real crash: a child process commits bindings in a loop and reports each id only after
// its commit resolved; it is killed with SIGKILL at a random moment, several rounds in the
// same directory (so torn commits and interrupted compactions pile up), and after each
// round every reported id must be in the reopened store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BindingStore } from '../../../lib/store/index.js';
import { hoaOf, stored, tempDir } from './fixtures.js';

const WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

/**
 * Runs the writer and kills it once it has reported `killAt` commits (so every round makes
 * progress however loaded the machine is; the writer is mid-commit at that moment).
 */
function runAndKill(dir: string, firstId: number, killAt: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir, String(firstId)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ids: number[] = [];
    let rest = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        if (l === 'ready') continue;
        ids.push(Number(l));
        if (ids.length === killAt) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer ended by itself: code ${code}, signal ${signal}`));
      else resolve(ids);
    });
  });
}

test('every commit reported before a kill -9 is in the reopened store', async () => {
  const t = tempDir();
  try {
    const committed: number[] = [];
    let firstId = 0;
    let generation = 0;
    for (let round = 0; round < 5; round++) {
      const ids = await runAndKill(t.dir, firstId, 50 + Math.floor(Math.random() * 400));
      committed.push(...ids);
      firstId = Math.max(...ids) + 100; // beyond anything in flight at the kill

      const store = await BindingStore.open(t.dir);
      const { bindings, sequences } = store.loadAll();
      const byHoa = new Map(bindings.map((b) => [b.hoa, b]));
      for (const id of committed) {
        const b = byHoa.get(hoaOf(id));
        assert.deepEqual(b, stored(id, { lastSequence: id & 0xffff }), `round ${round}: id ${id} lost`);
        assert.equal(sequences.get(hoaOf(id)), id & 0xffff);
      }
      generation = store.stats.generation;
      await store.close();
    }
    // 250+ commits of 2 records against compactAfterRecords 150: kills hit compactions too.
    assert.ok(generation > 1, 'the writer compacted during the test');
  } finally {
    t.cleanup();
  }
});
