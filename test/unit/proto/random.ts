// A deterministic randomBytes for tests: SHA-1 in counter mode over a seed.
import { createHash } from 'node:crypto';

export function counterRandom(seed: number): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 20) {
      const block = createHash('sha1').update(`${seed}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(20, n - i)), i);
    }
    return out;
  };
}
