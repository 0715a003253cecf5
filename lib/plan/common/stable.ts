// The reconciler marks a key dirty when its desired object is not the same object as before
// (identity, so a pass costs nothing per unchanged key). Planners build fresh objects every
// time; this keeps the previous object wherever the new one is equal to it.

/** `next`, with each value equal to the one `old` held for its key replaced by that old object. */
export function keepUnchanged<T>(old: ReadonlyMap<string, T> | undefined, next: Map<string, T>): Map<string, T> {
  if (!old) return next;
  for (const [k, v] of next) {
    const o = old.get(k);
    if (o !== undefined && JSON.stringify(o) === JSON.stringify(v)) next.set(k, o);
  }
  return next;
}
