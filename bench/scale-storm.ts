// bench:scale, storm phase: M mobile nodes register for the first time at once (each a new
// home address with two care-of addresses in its BID options), through the real MH socket
// with a window of many BUs outstanding, so the home agent runs thousands of DADs, journal
// commits and kernel writes side by side; against the echo server of bench:daemon answering
// the same BUs in the same boot. A BU without a BA is sent again after RETRY_MS (RFC 6275
// §11.8's InitialBindackTimeoutFirstReg is 1.5 s), doubling up to MAX_RETRY_MS.
// With `profile`, mcoad runs under --cpu-prof and its top functions are printed; `mcoad`
// names another build's bin/mcoad to run instead (a before/after comparison in one boot).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ip6 } from '../lib/inet/ip6.js';
import { ip6 } from '../test/ip6.js';
import type { MhReceived } from '../lib/net/receive.js';
import { decodeMessage, encodeMessage } from '../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../lib/wire/profiles.js';
import { COA, HA, MobileNodeSide, bu, coaBid, pairTopology, removeDir, startDaemon, stopDaemon, tempDir, writeHomeAgentConfig } from '../test/kernel/fixtures/index.js';
import { createNetns, sh, type Netns } from '../test/kernel/netns.js';
import { profileSummary } from './cpu-profile.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const RETRY_MS = 1500;
const MAX_RETRY_MS = 32_000;
const STORM_BOUND_MS = 1_200_000;

const stormHoa = (i: number): Ip6 => ip6(`2001:db8:aa::2:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);
const stormCoa = (i: number, b: number): Ip6 => ip6(`2001:db8:${(0x200 + b).toString(16)}::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);

export interface StormResult {
  perS: number;
  refused: number;
  sent: number;
  /** Wall time from the first BU to the last BA. */
  ms: number;
}

/** M first registrations with `window` outstanding; resolves when every home address has its BA. */
async function storm(mn: MobileNodeSide, m: number, window: number): Promise<StormResult> {
  /** Per home address: when its BU is due again (RFC 6275 §11.8: the wait doubles after each try). */
  const sentAt = new Map<number, number>();
  const waitMs = new Map<number, number>();
  /** A retransmission carries a greater sequence number (RFC 6275 §11.8): the BA's names the home address. */
  const bySeq = new Map<number, number>();
  let seq = 0;
  let next = 0;
  let done = 0;
  let refused = 0;
  let sent = 0;
  const statuses = new Map<number, number>();
  const send = (i: number): void => {
    seq = (seq + 1) & 0xffff;
    bySeq.set(seq, i);
    const data = encodeMessage(bu(seq, 400, [coaBid(1, stormCoa(i, 0)), coaBid(2, stormCoa(i, 1))]), DRAFT04_PROFILE);
    try {
      mn.sock.send({ data, src: COA, dst: HA, homeAddressOption: stormHoa(i) });
      sent++;
    } catch {
      // a full send buffer: the retry timer sends it again
    }
    const wait = waitMs.get(i) ?? RETRY_MS;
    waitMs.set(i, Math.min(2 * wait, MAX_RETRY_MS));
    sentAt.set(i, Date.now() + wait);
  };
  const fill = (): void => {
    while (sentAt.size < window && next < m) send(next++);
  };
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const on = (msg: MhReceived): void => {
    const r = decodeMessage(msg.data, DRAFT04_PROFILE);
    if (!r.ok || r.value.kind !== 'ba') return;
    const i = bySeq.get(r.value.sequence);
    if (i === undefined || !sentAt.delete(i)) return;
    done++;
    statuses.set(r.value.status, (statuses.get(r.value.status) ?? 0) + 1);
    if (r.value.status >= 128) refused++;
    if (done === m) finish();
    else fill();
  };
  mn.sock.on('message', on);
  const t0 = Date.now();
  fill();
  const retry = setInterval(() => {
    const now = Date.now();
    for (const [i, due] of sentAt) if (now >= due) send(i);
  }, 250);
  const bound = setTimeout(finish, STORM_BOUND_MS);
  await finished;
  clearInterval(retry);
  clearTimeout(bound);
  mn.sock.off('message', on);
  const ms = Date.now() - t0;
  if (done < m) throw new Error(`storm: ${done} of ${m} BAs within ${STORM_BOUND_MS} ms`);
  console.error(`scale: storm BA statuses (status: count): ${[...statuses].map(([st, c]) => `${st}: ${c}`).join(', ')}`);
  return { perS: ((m - refused) * 1000) / ms, refused, sent, ms };
}

async function startEcho(ha: Netns): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', ha.name, process.execPath, join(ROOT, 'dist', 'bench', 'echo-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
  return p;
}

/** The mobile node's side holds every home address (flag `home`: the BA's type 2 routing header is accepted for it). */
async function homeAddresses(mn: Netns, m: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < m; i++) lines.push(`addr add ${stormHoa(i)}/128 dev lo home nodad`);
  const file = `/tmp/storm-${mn.name}.batch`;
  writeFileSync(file, lines.join('\n') + '\n');
  await sh('ip', ['-n', mn.name, '-6', '-batch', file], { timeoutMs: 600_000 });
}

export interface StormRun {
  mcoad: StormResult;
  echo: StormResult;
  routes: number;
}

/** `limits` is the YAML of a top-level `limits:` block, or '' for the defaults. */
export async function stormPhase(m: number, window: number, limits: string, profile = false, mcoadBin = join(ROOT, 'bin', 'mcoad')): Promise<StormRun> {
  const ha = await createNetns('sha');
  const mnNs = await createNetns('smn');
  const dir = tempDir();
  try {
    await pairTopology(ha, mnNs);
    await homeAddresses(mnNs, m);
    const mn = new MobileNodeSide(mnNs);
    // The echo server needs what mcoad installs for itself: the Home Address option state and policy.
    await ha.ip('xfrm', 'state', 'add', 'src', '::', 'dst', '::', 'proto', 'hao', 'spi', '0', 'mode', 'ro', 'coa', '::', 'flag', 'wildrecv', 'sel', 'src', '::/0', 'dst', '::/0');
    await ha.ip('xfrm', 'policy', 'add', 'src', '::/0', 'dst', '::/0', 'proto', '135', 'dir', 'in', 'tmpl', 'proto', 'hao', 'mode', 'ro', 'level', 'use');
    const echoProc = await startEcho(ha);
    const echo = await storm(mn, m, window);
    echoProc.kill('SIGTERM');
    await ha.ip('xfrm', 'policy', 'flush');
    await ha.ip('xfrm', 'state', 'flush');
    const config = writeHomeAgentConfig(dir, { ipsecRequired: false, logLevel: 'warn', homeAgent: '  dataplane: shared\n', topLevel: limits });
    const profileDir = join(dir, 'profile');
    const command = profile ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, mcoadBin] : [process.execPath, mcoadBin];
    const d = await startDaemon(ha, dir, config, 'mcoad', undefined, { command });
    const mcoad = await storm(mn, m, window);
    // Every home address's route is in the kernel (the BA does not wait for it).
    let routes = 0;
    for (let tries = 0; tries < 600; tries++) {
      routes = (await ha.ip('-6', 'route', 'show', 'proto', '135')).split('\n').filter((l) => l.includes('nhid')).length;
      if (routes >= m - mcoad.refused) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await stopDaemon(d, 'SIGTERM');
    if (profile) for (const f of readdirSync(profileDir)) console.log(profileSummary(join(profileDir, f), ROOT, 25, 10).join('\n'));
    mn.close();
    return { mcoad, echo, routes };
  } finally {
    await ha.delete();
    await mnNs.delete();
    removeDir(dir);
  }
}
