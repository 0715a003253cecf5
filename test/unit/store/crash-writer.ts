// Child process of the crash test: appends and commits bindings as fast as it can from
// several concurrent writers, and prints each id only after the commit holding it resolved.
// Usage: node crash-writer.js DIR FIRST_ID  (does nothing without arguments).
import { BindingStore, putRecord, seqRecord } from '../../../lib/store/index.js';
import { hoaOf, stored } from './fixtures.js';

const [dir, firstText] = process.argv.slice(2);
if (dir !== undefined && firstText !== undefined) {
  // Small thresholds so compactions happen while the parent kills us.
  const store = await BindingStore.open(dir, { compactAfterRecords: 150 });
  let next = Number(firstText);
  const writer = async (): Promise<never> => {
    for (;;) {
      const id = next++;
      store.append([putRecord(stored(id, { lastSequence: id & 0xffff })), seqRecord(hoaOf(id), id & 0xffff)]);
      await store.commit();
      process.stdout.write(`${id}\n`);
    }
  };
  process.stdout.write('ready\n');
  await Promise.all(Array.from({ length: 8 }, writer));
}
