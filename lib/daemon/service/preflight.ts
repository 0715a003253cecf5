// Preflight: everything the daemon needs from the system, checked before it changes anything
// (the first sysctl, journal write or netlink request). The checks are data
// (preflight-checks.ts, kernel-probes.ts); this module runs them, at start as a StartGuard
// and offline for `mcoad --check-config`, where a check that needs the daemon's privileges
// is reported as a warning or listed as not checked instead of failing.
import type { Logger } from 'pino';
import type { AnyDaemonConfig } from '../../config/index.js';
import type { HostPorts } from './host.js';
import type { StartGuard } from './shell.js';

/** What a check sees: the configuration, the host, and the capabilities read once. */
export interface PreflightContext {
  readonly cfg: AnyDaemonConfig;
  readonly host: HostPorts;
  /** CapEff of this process. */
  readonly capabilities: bigint;
}

export interface CheckResult {
  /** Each names what is missing and what to do; any problem stops the start. */
  problems: string[];
  /** Worth saying, not worth refusing to start for. */
  warnings: string[];
}

export interface PreflightCheck {
  readonly name: string;
  /**
   * In `mcoad --check-config` (another user, no capabilities, nothing may change; its exit
   * status is about the file): 'run' as at start, 'warn' (run, its problems become
   * warnings: about this machine, not the file), 'skip' (listed as not checked).
   */
  readonly offline: 'run' | 'warn' | 'skip';
  /** Capability bits the check itself needs; without them it is skipped (the capability check says why). */
  readonly needs?: bigint;
  applies?(cfg: AnyDaemonConfig): boolean;
  run(ctx: PreflightContext): Promise<CheckResult>;
}

export const CAP_CHOWN = 0;
export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;
export const CAP_SYS_ADMIN = 21;
export const capBit = (cap: number): bigint => 1n << BigInt(cap);

export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
  }
}

export interface PreflightReport extends CheckResult {
  /** Checks not run offline, by name. */
  skipped: string[];
}

export function ok(): CheckResult {
  return { problems: [], warnings: [] };
}
export function problem(text: string): CheckResult {
  return { problems: [text], warnings: [] };
}
export function warning(text: string): CheckResult {
  return { problems: [], warnings: [text] };
}

/** Runs every check that applies, in order, and collects what they found. */
export async function runPreflight(checks: readonly PreflightCheck[], cfg: AnyDaemonConfig, host: HostPorts, mode: 'start' | 'offline'): Promise<PreflightReport> {
  const ctx: PreflightContext = { cfg, host, capabilities: await host.system.effectiveCapabilities() };
  const report: PreflightReport = { problems: [], warnings: [], skipped: [] };
  for (const check of checks) {
    if (check.applies && !check.applies(cfg)) continue;
    if (mode === 'offline' && check.offline === 'skip') {
      report.skipped.push(check.name);
      continue;
    }
    if (check.needs !== undefined && (ctx.capabilities & check.needs) !== check.needs) {
      if (mode === 'offline') report.skipped.push(check.name);
      continue;
    }
    const r = await check.run(ctx).catch((err: unknown) => problem(`${check.name}: cannot check: ${err instanceof Error ? err.message : String(err)}`));
    const asWarnings = mode === 'offline' && check.offline === 'warn';
    report.problems.push(...(asWarnings ? [] : r.problems));
    report.warnings.push(...(asWarnings ? r.problems : []), ...r.warnings);
  }
  return report;
}

/** The preflight as a start guard: throws PreflightError naming every problem; warnings are logged. */
export function preflightGuard(host: HostPorts, checks: readonly PreflightCheck[]): StartGuard {
  return {
    name: 'preflight checks',
    async acquire(cfg: AnyDaemonConfig, log: Logger) {
      const report = await runPreflight(checks, cfg, host, 'start');
      for (const w of report.warnings) log.warn(w);
      if (report.problems.length > 0) throw new PreflightError(report.problems);
    },
  };
}
