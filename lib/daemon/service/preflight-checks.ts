// The system checks of the preflight (preflight.ts runs them), in the order an operator
// would fix them: capabilities, the control socket's group and directory, the state
// directory, the interfaces the role needs. The kernel support probes follow them
// (kernel-probes.ts). Each problem names the configuration key or the missing piece and
// the fix.
import { dirname } from 'node:path';
import type { AnyDaemonConfig } from '../../config/index.js';
import { GroupLookupError } from '../../control/group.js';
import { NETLINK_ROUTE } from '../../platform/netlink/netlink-constants.js';
import { linkGet } from '../../platform/rtnl/link.js';
import { SyscallError } from '../../platform/sys/errno.js';
import { StateDirectoryError } from './state-lock.js';
import { CAP_CHOWN, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN, capBit, ok, problem, type CheckResult, type PreflightCheck } from './preflight.js';

/** sun_path holds 108 octets including the terminating NUL. */
const SUN_PATH_MAX = 107;
/** Room the journal needs for a record or two, written and fsync'd once at start. */
export const STATE_SCRATCH_BYTES = 64 * 1024;

const HOW_TO_RUN = 'run as root or via systemd/mcoad.service';

function errnoOf(err: unknown): string {
  if (err instanceof SyscallError) return err.code;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

const capabilities: PreflightCheck = {
  name: 'capabilities',
  offline: 'warn',
  async run({ cfg, capabilities: caps }) {
    const missing: string[] = [];
    if (cfg.netns !== null && (caps & capBit(CAP_SYS_ADMIN)) === 0n) {
      missing.push(`CAP_SYS_ADMIN to enter network namespace ${cfg.netns} (netns; under systemd add it to CapabilityBoundingSet= and AmbientCapabilities=)`);
    }
    if ((caps & capBit(CAP_NET_ADMIN)) === 0n) missing.push('CAP_NET_ADMIN (netlink changes: tunnels, routes, XFRM, sysctls)');
    if ((caps & capBit(CAP_NET_RAW)) === 0n) missing.push('CAP_NET_RAW (the Mobility Header and Neighbor Discovery sockets)');
    return { problems: missing.map((m) => `mcoad needs ${m}: ${HOW_TO_RUN}`), warnings: [] };
  },
};

/**
 * control.group: the group exists, and the daemon may give the socket to it: chown(2) to
 * a group needs CAP_CHOWN unless the process is a member (the unit's SupplementaryGroups=).
 */
const controlGroup: PreflightCheck = {
  name: 'control socket group',
  // Offline a warning: the file may be checked on another machine than the one it runs on.
  offline: 'warn',
  applies: (cfg) => cfg.control.group !== null,
  async run({ cfg, host, capabilities: caps }) {
    const group = cfg.control.group!;
    let gid: number;
    try {
      gid = await host.system.resolveGroup(group);
    } catch (err) {
      if (!(err instanceof GroupLookupError)) throw err;
      return problem(`control.group ${group}: ${err.message}: create it (groupadd --system ${group}; the package's postinst does) or remove the key`);
    }
    if ((caps & capBit(CAP_CHOWN)) !== 0n || host.system.groups().includes(gid)) return ok();
    return problem(
      `control.group ${group}: mcoad is not in group ${group} (gid ${gid}) and lacks CAP_CHOWN, so it cannot give the socket to it: ` +
        `add SupplementaryGroups=${group} to the unit (systemd/mcoad.service has it), ${HOW_TO_RUN}, or remove the key`,
    );
  },
};

/** control.socket: short enough for sun_path, and its directory (or the nearest one that exists) writable. */
const controlDirectory: PreflightCheck = {
  name: 'control socket directory',
  offline: 'warn',
  async run({ cfg, host }) {
    const path = cfg.control.path;
    if (Buffer.byteLength(path) > SUN_PATH_MAX) return problem(`control.socket ${path}: longer than ${SUN_PATH_MAX} octets (sun_path): choose a shorter path`);
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      try {
        await host.system.writableDirectory(dir);
        return ok();
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT' && dirname(dir) !== dir) continue; // created at bind: its parent must be writable
        return problem(`control.socket ${path}: directory ${dir}: ${code}: ${socketAdvice(code)} (configuration key control.socket)`);
      }
    }
  },
};

function socketAdvice(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `not writable by this user: ${HOW_TO_RUN} (RuntimeDirectory=mcoad makes /run/mcoad)`;
    case 'EROFS':
      return 'the file system is read-only: choose a directory under /run';
    case 'ENOTDIR':
      return 'a path component is not a directory';
    default:
      return 'check that the directory exists and is writable';
  }
}

/**
 * state_directory: writable, not read-only, room for a record. Runs after the state lock
 * (which created the directory), so a failure here is the file system's, not a missing path.
 */
const stateDirectory: PreflightCheck = {
  name: 'state directory',
  offline: 'warn',
  applies: (cfg) => cfg.role !== 'mobile-node',
  async run({ cfg, host }) {
    const dir = cfg.stateDirectory;
    try {
      await host.system.writableDirectory(dir);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return ok(); // offline: created at start (the lock does it)
      return problem(new StateDirectoryError(dir, code, 'checking access').message);
    }
    try {
      await host.system.writeScratch(dir, STATE_SCRATCH_BYTES);
      return ok();
    } catch (err) {
      return problem(new StateDirectoryError(dir, errnoOf(err), `writing ${STATE_SCRATCH_BYTES} octets`).message);
    }
  },
};

function where(cfg: AnyDaemonConfig): string {
  return cfg.netns === null ? "the daemon's network namespace" : `network namespace ${cfg.netns} (netns)`;
}

/** The interfaces the role works on, looked up where its sockets will live. */
async function missingInterfaces(cfg: AnyDaemonConfig, names: readonly string[], ctx: Parameters<PreflightCheck['run']>[0]): Promise<string[]> {
  const sock = ctx.host.netlink({ protocol: NETLINK_ROUTE, ...(cfg.netns === null ? {} : { netns: cfg.netns }) });
  try {
    const missing: string[] = [];
    for (const name of names) if ((await linkGet(sock, { name })) === undefined) missing.push(name);
    return missing;
  } finally {
    sock.close();
  }
}

/** The home agent's home link interface must exist; a mobile node's candidates may come later (hotplug). */
const interfaces: PreflightCheck = {
  name: 'interfaces',
  offline: 'skip',
  applies: (cfg) => cfg.role === 'home-agent' || cfg.role === 'mobile-node',
  async run(ctx): Promise<CheckResult> {
    const { cfg } = ctx;
    if (cfg.role === 'home-agent') {
      const name = cfg.homeAgent.homeLinkInterface;
      const missing = await missingInterfaces(cfg, [name], ctx);
      return missing.length === 0 ? ok() : problem(`home_agent.interface ${name}: no such interface in ${where(cfg)}: check the name (ip link)`);
    }
    if (cfg.role !== 'mobile-node') return ok();
    const names = cfg.mobileNode.interfaces;
    const missing = await missingInterfaces(cfg, names, ctx);
    if (missing.length < names.length) return ok();
    return { problems: [], warnings: [`mobile_node.interfaces: none of ${names.join(', ')} exists in ${where(cfg)} yet; waiting for one`] };
  },
};

export const SYSTEM_CHECKS: readonly PreflightCheck[] = [capabilities, controlGroup, controlDirectory, stateDirectory, interfaces];
