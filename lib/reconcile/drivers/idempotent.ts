// The repeat-safe endings every driver shares (STYLE: ENOENT/ESRCH on delete is success,
// EEXIST on create is "already there"), and the two ways a driver reads back what it owns:
// a dump filtered by an ownership band, or the one object on the shared device.
import { classifyError } from '../../platform/kernel-errors.js';

/** Awaits a delete; an object already gone counts as deleted, any other error is thrown. */
export async function deleted(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (err) {
    if (classifyError(err, 'delete') !== 'gone') throw err;
  }
}

/** Awaits a create; an object already there counts as created, any other error is thrown. */
export async function createdOrThere(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (err) {
    if (classifyError(err, 'create') !== 'exists') throw err;
  }
}

/** The objects of a dump that are ours, keyed by the kernel's identity of each. */
export function ownedByKey<T>(dumped: Iterable<T>, ours: (o: T) => boolean, key: (o: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const o of dumped) if (ours(o)) out.set(key(o), o);
  return out;
}

/** The one object kept under `name` on a device: none while the device is absent or `read` finds nothing. */
export async function oneOnDevice<T>(name: string, ifindex: number | undefined, read: (ifindex: number) => Promise<T | undefined>): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  if (ifindex === undefined) return out;
  const seen = await read(ifindex);
  if (seen !== undefined) out.set(name, seen);
  return out;
}
