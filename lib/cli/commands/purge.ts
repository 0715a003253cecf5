// `mcoactl purge`: with mcoad stopped, deletes every kernel object carrying its ownership
// marks (route, nexthop and proxy protocol, tunnel name prefix, nexthop id band, XFRM
// priority and reqid bands) and nothing else. For package removal and for starting over;
// a running daemon would re-create what this deletes, so purge refuses while it answers.
import { parseArgs } from 'node:util';
import { ControlClient, DaemonUnreachableError } from '../../control/client.js';
import { DEFAULT_MARKS, DEFAULT_XFRM_BANDS, loadAnyConfigFile } from '../../config/index.js';
import { NETLINK_ROUTE, NETLINK_XFRM } from '../../platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../platform/netlink/socket.js';
import { SyscallError } from '../../platform/sys/errno.js';
import { describeStep, planPurge, type PurgeStep } from '../../plan/common/purge.js';
import type { OwnershipMarks } from '../../reconcile/marks.js';
import { CliError, EXIT_FAILURE, EXIT_OK, type CliIo, type Command } from '../command.js';
import { JSON_OPTION, noMorePositionals, SOCKET_OPTION, socketPath } from './daemon.js';
import { table } from './format.js';
import { applyPurge, dumpKernel, type StepResult } from './purge-kernel.js';

export const purgeCommand: Command = {
  summary: 'delete every kernel object carrying mcoad\'s ownership marks (mcoad stopped)',
  usage: ['mcoactl purge [--netns NAME] [--config FILE] [--dry-run] [--json] [--socket PATH]'],
  run: runPurge,
};

/** Control socket answers that mean "no daemon here"; anything else may be a live one. */
const NO_DAEMON = new Set(['ENOENT', 'ECONNREFUSED']);

interface Settings {
  marks: OwnershipMarks;
  netns: string | null;
  socket: string;
}

async function settings(values: { config?: string; netns?: string; socket?: string }): Promise<Settings> {
  if (values.config === undefined) {
    return { marks: { ...DEFAULT_MARKS }, netns: values.netns ?? null, socket: socketPath(values.socket) };
  }
  let cfg;
  try {
    cfg = await loadAnyConfigFile(values.config);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
  return { marks: cfg.marks, netns: values.netns ?? cfg.netns, socket: values.socket ?? cfg.control.path };
}

async function refuseWhileRunning(path: string): Promise<void> {
  let client: ControlClient;
  try {
    client = await ControlClient.connect(path, { timeoutMs: 3000 });
  } catch (e) {
    if (e instanceof DaemonUnreachableError && NO_DAEMON.has(e.code)) return;
    const why = e instanceof DaemonUnreachableError ? e.code : String(e);
    throw new CliError(`cannot tell whether mcoad is running (${path}: ${why}); stop it, or give --socket`);
  }
  client.close();
  throw new CliError(`mcoad is running (its control socket ${path} answers) and would re-create what purge deletes; stop it first (systemctl stop mcoad)`);
}

function openSocket(protocol: number, netns: string | null): NetlinkSocket {
  try {
    return NetlinkSocket.open({ protocol, ...(netns === null ? {} : { netns }) });
  } catch (e) {
    if (e instanceof SyscallError && e.code === 'EPERM') throw new CliError('purge needs CAP_NET_ADMIN (run as root)');
    const where = netns === null ? '' : ` in network namespace ${netns}`;
    throw new CliError(`cannot open a netlink socket${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function runPurge(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...SOCKET_OPTION, ...JSON_OPTION, netns: { type: 'string' }, config: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  noMorePositionals(positionals);
  const s = await settings(values);
  await refuseWhileRunning(s.socket);
  const rtnl = openSocket(NETLINK_ROUTE, s.netns);
  let xfrm: NetlinkSocket | undefined;
  try {
    xfrm = openSocket(NETLINK_XFRM, s.netns);
    const dump = await dumpKernel(rtnl, xfrm);
    const plan = planPurge(dump, s.marks, DEFAULT_XFRM_BANDS);
    const names = new Map(dump.links.map((l) => [l.ifindex, l.name]));
    const describe = (step: PurgeStep) => describeStep(step, (i) => names.get(i) ?? `#${i}`);
    const results: StepResult[] = values['dry-run'] ? [] : await applyPurge(rtnl, xfrm, plan.steps);
    const rows = values['dry-run']
      ? plan.steps.map((step) => ({ kind: step.kind, object: describe(step), result: 'would delete' }))
      : results.map((r) => ({ kind: r.step.kind, object: describe(r.step), result: r.result, ...(r.result === 'failed' ? { error: r.error } : {}) }));
    const kept = plan.kept.map((k) => ({ kind: k.step.kind, object: describe(k.step), usedBy: k.usedBy }));
    const failed = results.filter((r) => r.result === 'failed').length;
    if (values.json) io.out(JSON.stringify({ dryRun: values['dry-run'], objects: rows, kept }));
    else {
      const lines = [
        ...rows.map((r) => [r.kind, r.object, 'error' in r ? `failed: ${r.error}` : r.result]),
        ...kept.map((k) => [k.kind, k.object, `kept: used by ${k.usedBy}`]),
      ];
      if (lines.length > 0) table(['KIND', 'OBJECT', 'RESULT'], lines).forEach((l) => io.out(l));
      io.out(summary(rows.length, kept.length, failed, values['dry-run']));
    }
    return failed > 0 || kept.length > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    xfrm?.close();
    rtnl.close();
  }
}

function summary(objects: number, kept: number, failed: number, dryRun: boolean): string {
  const n = (k: number) => `${k} object${k === 1 ? '' : 's'}`;
  if (objects === 0 && kept === 0) return 'no objects carrying mcoad\'s marks';
  const head = dryRun ? `would delete ${n(objects)}` : `deleted ${n(objects - failed)}${failed ? `, ${failed} failed` : ''}`;
  return kept ? `${head}, kept ${n(kept)} still in use by others` : head;
}
