// Opens an etcd watch with its handlers already attached. etcd3's create() attaches the
// caller's handlers only once it has resolved, so an event or a cancel that arrives in the
// same read as the creation would be missed.
import type { WatchBuilder, Watcher } from 'etcd3';

export async function openWatch(builder: WatchBuilder, attach: (w: Watcher) => void): Promise<Watcher> {
  const w = builder.watcher();
  attach(w);
  await new Promise<void>((resolve, reject) => {
    w.once('connected', () => resolve());
    w.once('error', reject);
  });
  return w;
}
