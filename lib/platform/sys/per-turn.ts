// Values read at most once per synchronous run of JavaScript. In user-mode Linux (and on
// any kernel without a vDSO) every clock read and ioctl is a system call; a drain of the
// signalling socket handles up to 256 datagrams in one run, and each asked the clock
// several times. The value is forgotten at the next microtask checkpoint (Node drains
// microtasks after every callback from libuv, koffi's poll callbacks included), so it is
// never older than the run that read it: code that does not block the event loop sees
// the same time it would have read at the run's start.

/** `read()` once per synchronous run; a throw is not remembered. */
export function perTurn<T>(read: () => T): () => T {
  let value: T | undefined;
  let fresh = false;
  const forget = (): void => {
    fresh = false;
    value = undefined;
  };
  return () => {
    if (!fresh) {
      value = read();
      fresh = true;
      queueMicrotask(forget);
    }
    return value as T;
  };
}

/** `read(key)` once per key and synchronous run; a throw is not remembered. */
export function perTurnByKey<K, V>(read: (key: K) => V): (key: K) => V {
  const values = new Map<K, V>();
  const forget = (): void => values.clear();
  return (key) => {
    const had = values.get(key);
    if (had !== undefined) return had;
    const v = read(key);
    if (values.size === 0) queueMicrotask(forget);
    values.set(key, v);
    return v;
  };
}
