// Capture check: a Figure 6 registration (three foreign interfaces, one bulk BU) captured on
// the home agent's uplink with tcpdump, then read back by two independent decoders — tshark
// and `mcoactl decode --pcap` — which must both show the Binding Update and Binding
// Acknowledgement with the sequence numbers, BIDs and care-of addresses that the daemons
// report in `mcoactl show bindings`. tcpdump and tshark are host binaries on UML's read-only
// root; tshark wants a writable HOME for its profile directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { sh, withNetnsGroup, type Netns } from './netns.js';
import { bindings, mcoactl, removeDir, stopDaemon, tempDir } from './ha-fixture.js';
import { COAS, HA, HOA, daemonLog, e2eTopology, startDaemon, until, writeHomeAgentConfig, writeMobileNodeConfig, type Daemon } from './e2e-fixture.js';

const MH_BU = 5;
const MH_BA = 6;

interface Capture {
  proc: ChildProcess;
  stderr: () => string;
}

/**
 * `ip netns exec NS tcpdump -i IF -w FILE -U -Z root FILTER`, resolved once tcpdump says it
 * is listening. --immediate-mode and -U: each packet reaches the file as it is seen, not
 * when a TPACKET_V3 block fills or times out. `ip6 protochain 135` follows the extension headers: a BU carries a
 * Destination Options header (HAO) and a BA a type 2 Routing header before the Mobility Header.
 */
async function startCapture(ns: Netns, iface: string, file: string): Promise<Capture> {
  const proc = spawn('ip', ['netns', 'exec', ns.name, 'tcpdump', '-i', iface, '-w', file, '-U', '--immediate-mode', '-Z', 'root', 'ip6 protochain 135 or ip6 proto 41'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start listening in 10 s: ${err}`)), 10_000);
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited ${code}: ${err}`));
    });
  });
  return { proc, stderr: () => err };
}

async function stopCapture(c: Capture): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const done = new Promise<void>((resolve) => c.proc.once('exit', () => resolve()));
  c.proc.kill('SIGINT');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

/** One Mobility Header message as a decoder saw it: type, sequence, BIDs and their care-of addresses (sorted by BID). */
interface Seen {
  type: number;
  seq: number;
  bids: string;
}

const bidText = (pairs: [number, string][]): string => pairs.sort((a, b) => a[0] - b[0]).map(([b, c]) => `${b}=${c}`).join(' ');

/** tshark's fields, one line per packet; several BID sub-options come out comma-joined. */
async function viaTshark(file: string): Promise<Seen[]> {
  const out = await sh('env', ['HOME=/tmp', 'tshark', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    '-e', 'mip6.mhtype', '-e', 'mip6.bu.seqnr', '-e', 'mip6.ba.seqnr', '-e', 'mip6.bi.bid', '-e', 'mip6.bi.coa_ipv6', '-Y', 'mipv6']);
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [type = '', buSeq = '', baSeq = '', bids = '', coas = ''] = l.split('\t');
    const bidList = bids === '' ? [] : bids.split(',').map(Number);
    const coaList = coas === '' ? [] : coas.split(',');
    // A BA's BID sub-options carry no care-of address in this exchange: pair by position only when counts match.
    const pairs = bidList.map((b, i): [number, string] => [b, coaList.length === bidList.length ? coaList[i]! : '-']);
    return { type: Number(type), seq: Number(type === String(MH_BU) ? buSeq : baSeq), bids: bidText(pairs) };
  });
}

interface DecodedPacket {
  message?: { mhType: number; sequence?: number; options: { kind: string; bid?: number; coa?: string }[] };
  checksumOk?: boolean;
}

async function viaMcoactl(file: string): Promise<{ seen: Seen[]; packets: DecodedPacket[] }> {
  const out = await sh(process.execPath, [join(new URL('../../..', import.meta.url).pathname, 'bin', 'mcoactl'), 'decode', '--pcap', file, '--json']);
  const packets = out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as DecodedPacket);
  const seen = packets.flatMap((p) => {
    const m = p.message;
    if (!m || m.sequence === undefined) return [];
    const pairs = m.options.filter((o) => o.kind === 'bid').map((o): [number, string] => [o.bid ?? -1, o.coa ?? '-']);
    return [{ type: m.mhType, seq: m.sequence, bids: bidText(pairs) }];
  });
  return { seen, packets };
}

const key = (s: Seen): string => `${s.type} ${s.seq} ${s.bids}`;

test('capture of a Figure 6 registration: tshark and mcoactl decode agree with the daemons', { timeout: 120_000 }, async (t) => {
  await withNetnsGroup(4, async ([cn, rt, ha, mn]) => {
    const ns = { cn: cn!, rt: rt!, ha: ha!, mn: mn! };
    await e2eTopology(ns);
    const haDir = tempDir();
    const mnDir = tempDir();
    const file = join(haDir, 'uplink.pcap');
    let capture: Capture | undefined;
    let haD: Daemon | undefined;
    let mnD: Daemon | undefined;
    try {
      capture = await startCapture(ns.ha, 'up0', file);
      haD = await startDaemon(ns.ha, haDir, writeHomeAgentConfig(haDir));
      mnD = await startDaemon(ns.mn, mnDir, writeMobileNodeConfig(mnDir, true));
      const haD2 = haD;
      const list = await until('three bindings at the home agent', 20_000, async () => {
        const l = await bindings(haD2);
        return l.length === 3 ? l : undefined;
      });
      // The mobile node has processed the BA once its list says registered for every care-of address.
      const mnD2 = mnD;
      await until('three registered entries at the mobile node', 10_000, async () => {
        const bul = JSON.parse(await mcoactl(mnD2, 'show', 'bindings', '--json')) as { peer: string; state: string }[];
        return bul.filter((e) => e.peer === HA && e.state === 'registered').length === 3 ? true : undefined;
      });
      // The BA has passed up0; wait until the file holds it too before stopping tcpdump.
      await until('the BA in the capture file', 5000, async () =>
        (await viaMcoactl(file)).seen.some((s) => s.type === MH_BA && list.every((b) => b.sequence === s.seq)) ? true : undefined);
      await stopCapture(capture);
      assert.deepEqual(list.map((b) => b.coa).sort(), [...COAS]);
      assert.ok(list.every((b) => b.hoa === HOA));

      const shark = await viaTshark(file);
      const ours = await viaMcoactl(file);
      t.diagnostic(`tshark: ${shark.map(key).join(' | ')}`);
      t.diagnostic(`mcoactl decode: ${ours.seen.map(key).join(' | ')}`);
      // The two decoders read the same messages the same way.
      assert.deepEqual(ours.seen.map(key), shark.map(key));
      assert.ok(ours.packets.every((p) => p.checksumOk !== false), 'every Mobility Header checksum verifies');

      // The BU(s) the home agent accepted: each binding's BID and care-of address, under its sequence number.
      for (const b of list) {
        const bu = ours.seen.find((s) => s.type === MH_BU && s.seq === b.sequence && s.bids.split(' ').includes(`${b.bid}=${b.coa}`));
        assert.ok(bu, `a BU with sequence ${b.sequence} carrying BID ${b.bid} care-of ${b.coa}`);
        const ba = ours.seen.find((s) => s.type === MH_BA && s.seq === b.sequence && s.bids.split(' ').some((x) => x.startsWith(`${b.bid}=`)));
        assert.ok(ba, `a BA with sequence ${b.sequence} answering BID ${b.bid}`);
      }
    } catch (err) {
      (err as Error).message += (capture ? `\n--- tcpdump ---\n${capture.stderr()}` : '') + daemonLog(haD, 'home agent') + daemonLog(mnD, 'mobile node');
      throw err;
    } finally {
      if (capture) await stopCapture(capture);
      if (mnD) await stopDaemon(mnD, 'SIGKILL');
      if (haD) await stopDaemon(haD, 'SIGKILL');
      removeDir(haDir);
      removeDir(mnDir);
    }
  });
});
