// The kernel's XFRM error counters (/proc/net/xfrm_stat, CONFIG_XFRM_STATISTICS), for
// `mcoactl show stats`. A Binding Update the ESP policy refuses never reaches the socket;
// these counters are where an operator sees it (XfrmInTmplMismatch: no ESP where the
// policy requires it; XfrmInNoStates: an unknown SPI; XfrmInNoPols: no policy let it in).
import { readFile } from 'node:fs/promises';

export const XFRM_STAT_PATH = '/proc/net/xfrm_stat';

/** `XfrmInError  0` lines -> { XfrmInError: 0 }; other lines are skipped. */
export function parseXfrmStat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(Xfrm\w+)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * The counters of the network namespace this process runs in; undefined when the kernel
 * has no such file (no CONFIG_XFRM_STATISTICS) or it cannot be read.
 */
export async function readXfrmStat(path = XFRM_STAT_PATH): Promise<Record<string, number> | undefined> {
  try {
    return parseXfrmStat(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
