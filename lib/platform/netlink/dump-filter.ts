// The parse step of a dump that `ip ... show dev IF` filters by interface: messages of one
// type, decoded, kept when on the interface (every one when no interface is given).
import type { NlMsg } from './parse.js';

export function onInterface<T extends { ifindex: number }>(type: number, decode: (m: NlMsg) => T | undefined, ifindex?: number): (m: NlMsg) => T | undefined {
  return (m) => {
    if (m.type !== type) return undefined;
    const v = decode(m);
    return v && (ifindex === undefined || v.ifindex === ifindex) ? v : undefined;
  };
}
