// Running a synchronous piece of code inside another network namespace.
// setns(2) moves only the calling thread; everything here runs on Node's main
// thread and moves it back before returning, so a socket created inside `fn`
// stays in the target namespace while the rest of the process never leaves home.
import fs from 'node:fs';
import { check, sys } from './libc.js';

export const CLONE_NEWNET = 0x40000000;

/** `/var/run/netns/NAME` for a bare name (as `ip netns add NAME` makes); paths pass through. */
export function netnsPath(nameOrPath: string): string {
  return nameOrPath.includes('/') ? nameOrPath : `/var/run/netns/${nameOrPath}`;
}

// fs.openSync opens with O_CLOEXEC (libuv always adds it).
let homeFd = -1; // the main thread's own namespace, opened once and kept
const stack: number[] = []; // namespaces entered by nested calls, innermost last

function home(): number {
  if (homeFd < 0) homeFd = fs.openSync('/proc/self/ns/net', 'r');
  return homeFd;
}

/**
 * Calls `fn` with the main thread inside the named network namespace and returns
 * its result. `fn` must be synchronous: a returned promise is refused (after
 * switching back), because awaiting inside would leave the thread elsewhere.
 * Without a namespace (undefined) it simply calls `fn`.
 */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const back = stack.length > 0 ? stack[stack.length - 1]! : home();
  const path = netnsPath(netns);
  const target = fs.openSync(path, 'r');
  try {
    check(sys.setns(target, CLONE_NEWNET), 'setns', path);
    stack.push(target);
    let result: T;
    try {
      result = fn();
    } finally {
      stack.pop();
      // Failing to return would leave the whole process in the wrong namespace.
      check(sys.setns(back, CLONE_NEWNET), 'setns', 'back to the original namespace');
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      throw new TypeError('inNetns: fn must be synchronous (it returned a promise)');
    }
    return result;
  } finally {
    fs.closeSync(target);
  }
}
