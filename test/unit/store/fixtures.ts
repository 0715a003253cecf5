// Bindings and temporary store directories for the store tests.
import { ip6 } from '../../ip6.js';
import type { Ip6 } from '../../../lib/inet/ip6.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredBinding } from '../../../lib/store/records.js';

export function tempDir(): { dir: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), 'mcoa-store-'));
  return { dir: join(base, 'state'), cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Home address number n: 2001:db8:1::<n in hex>. */
export function hoaOf(n: number): Ip6 {
  return ip6(`2001:db8:1::${(n + 1).toString(16)}`);
}

export function stored(n: number, over: Partial<StoredBinding> = {}): StoredBinding {
  return {
    hoa: hoaOf(n),
    bid: 1,
    coa: ip6(`2001:db8:a::${(n + 1).toString(16)}`),
    registeredAtWallMs: 1_700_000_000_000 + n,
    expiresAtWallMs: 1_700_000_400_000 + n,
    lifetimeSeconds: 400,
    lastSequence: n & 0xffff,
    flags: { homeRegistration: true, r: false, l: false, k: false },
    mobileNetworkPrefixes: [],
    homeBinding: false,
    ...over,
  };
}
