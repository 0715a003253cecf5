// Running tshark for the capture cross-checks (tshark.test.ts, tshark-rfc5648.test.ts).
// Without tshark a check fails when CI is set (apt-get install tshark) and is skipped otherwise.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINKTYPE_RAW, writePcap } from '../../../lib/cli/decode/pcap.js';

export function tsharkAvailable(t: { skip(msg: string): void }): boolean {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return true;
  const why = 'tshark is not installed (apt-get install tshark)';
  if (process.env.CI) assert.fail(`${why}; the tshark cross-check is required when CI is set`);
  t.skip(why);
  return false;
}

/** Runs tshark on `file` and returns one record per frame: field name -> all occurrences. */
export function tsharkFields(file: string, fields: string[]): Map<string, string[]>[] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => new Map(l.split('\t').map((v, i) => [fields[i]!, v === '' ? [] : v.split('|')])));
}

export const flagOf = (v: string | undefined): boolean => v === '1' || v === 'True';

export function ethernet(pkt: Uint8Array): Uint8Array {
  return Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd, ...pkt]);
}

/** Writes `packets` (raw IPv6) to a pcap file in a scratch directory, runs tsharkFields on it, removes it. */
export function tsharkRowsOf(packets: readonly Uint8Array[], fields: string[]): Map<string, string[]>[] {
  const dir = mkdtempSync(join(tmpdir(), 'mcoa-tshark-'));
  try {
    const file = join(dir, 'packets.pcap');
    writeFileSync(file, writePcap(LINKTYPE_RAW, [...packets]));
    return tsharkFields(file, fields);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
