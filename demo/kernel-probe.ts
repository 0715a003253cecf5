// Does this machine's kernel have what the demo needs? Tried for real in a scratch network
// namespace (mcoa-probe-<pid>-<n>, deleted afterwards whatever happens, also at exit):
// mcoad's own preflight probes (lib/daemon/service/kernel-probes.ts) for a home agent with
// an ESP rfc4106(gcm(aes)) SA (ip6tnl, hao, ESP, nexthop) and for a mobile node (route2),
// and a veth pair for the demo's cables. Each piece the kernel refuses is named with its fix.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadAnyConfigFile } from '../lib/config/index.js';
import { MIN_IPSEC_REQID } from '../lib/config/ipsec-section.js';
import { realHost, realSystem } from '../lib/daemon/service/host.js';
import { KERNEL_CHECKS } from '../lib/daemon/service/kernel-probes.js';
import { CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, capBit, runPreflight } from '../lib/daemon/service/preflight.js';
import { authorisedHomeAddress, ipsecYaml, removeDir, writeHomeAgentConfig, writeMobileNodeConfig } from '../test/kernel/fixtures/index.js';
import { sh } from '../test/kernel/netns.js';
import type { ProbeOutcome } from './path-choice.js';

/** One thing the demo needs, tried in the scratch namespace. */
export interface ProbePiece {
  /** What it is, as the launcher's line names it. */
  readonly name: string;
  /** The problems found (each naming what is missing and the fix); empty when supported. */
  attempt(netns: string): Promise<string[]>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The AEAD of the demo's direct path, as the IPsec kernel tests use it; the key is never used for traffic. */
const PROBE_SA = { spiIn: 0x1000, spiOut: 0x1001, reqid: MIN_IPSEC_REQID, aeadName: 'rfc4106(gcm(aes))', key: `0x${'5a'.repeat(20)}`, icvBits: 128 };

/** mcoad's preflight kernel probes for one role, its sockets in `netns` (the `netns:` key). */
function daemonProbes(name: string, write: (dir: string, netnsKey: string) => string): ProbePiece {
  return {
    name,
    async attempt(netns) {
      const dir = mkdtempSync('/tmp/mcoa-probe-');
      try {
        const cfg = await loadAnyConfigFile(write(dir, `netns: ${netns}\n`));
        return (await runPreflight(KERNEL_CHECKS, cfg, realHost(), 'start')).problems;
      } finally {
        removeDir(dir);
      }
    },
  };
}

export const HOME_AGENT_PROBES = daemonProbes('ip6tnl, Mobile IPv6 hao states, ESP rfc4106(gcm(aes)), nexthop objects', (dir, topLevel) =>
  writeHomeAgentConfig(dir, { homeAgent: authorisedHomeAddress(ipsecYaml(PROBE_SA)), topLevel }));

export const MOBILE_NODE_PROBES = daemonProbes('Mobile IPv6 route2 states', (dir, topLevel) => writeMobileNodeConfig(dir, { topLevel }));

/** `ip link add mcoa-pk0 type KIND peer name mcoa-pk1` (a veth-like pair) in the scratch namespace, then deleted. */
export function pairedLinkKind(kind: string, fix: string): ProbePiece {
  return {
    name: `${kind} links`,
    async attempt(netns) {
      try {
        await sh('ip', ['-n', netns, 'link', 'add', 'mcoa-pk0', 'type', kind, 'peer', 'name', 'mcoa-pk1']);
      } catch (err) {
        return [`the kernel would not create a ${kind} link (${message(err)}): ${fix}`];
      }
      await sh('ip', ['-n', netns, 'link', 'del', 'mcoa-pk0']);
      return [];
    },
  };
}

export const DEMO_PIECES: readonly ProbePiece[] = [HOME_AGENT_PROBES, MOBILE_NODE_PROBES, pairedLinkKind('veth', 'modprobe veth, or build it with CONFIG_VETH')];

/** Creating namespaces, entering them (setns) and what mcoad itself needs. */
const NEEDED_CAPS: readonly [bit: number, name: string][] = [
  [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN'],
  [CAP_NET_ADMIN, 'CAP_NET_ADMIN'],
  [CAP_NET_RAW, 'CAP_NET_RAW'],
];

let scratchCount = 0;

/** Tries each piece in a fresh scratch namespace; `ran: false` when there is none to try in. */
export async function probeKernel(pieces: readonly ProbePiece[] = DEMO_PIECES): Promise<ProbeOutcome> {
  const caps = await realSystem.effectiveCapabilities();
  const lacking = NEEDED_CAPS.filter(([bit]) => (caps & capBit(bit)) === 0n).map(([, name]) => name);
  if (lacking.length > 0) return { ran: false, why: `this process lacks ${lacking.join(', ')}` };
  scratchCount += 1;
  const netns = `mcoa-probe-${process.pid}-${scratchCount}`;
  try {
    await sh('ip', ['netns', 'add', netns]);
  } catch (err) {
    return { ran: false, why: `cannot create a scratch network namespace: ${message(err)}` };
  }
  // A process that exits mid-probe (process.exit on a signal) still deletes it.
  const atExit = (): void => {
    try {
      execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' });
    } catch {
      // exiting anyway; nothing else can be done
    }
  };
  process.on('exit', atExit);
  try {
    // As in any namespace mcoad runs in: a blackhole nexthop, for one, needs lo up (ENETDOWN).
    await sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    const missing: string[] = [];
    for (const p of pieces) missing.push(...(await p.attempt(netns).catch((err: unknown) => [`${p.name}: cannot check: ${message(err)}`])));
    return { ran: true, tried: pieces.map((p) => p.name), missing: [...new Set(missing)] };
  } finally {
    process.removeListener('exit', atExit);
    await sh('ip', ['netns', 'delete', netns]);
  }
}
