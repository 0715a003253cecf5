// mcoad: the Mobile IPv6 home agent daemon.
//   mcoad --config FILE          run (foreground; systemd supervises it)
//   mcoad --check-config FILE    validate a configuration file and exit
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigFileError, loadAnyConfigFile, type AnyDaemonConfig } from '../config/index.js';
import { VERSION } from '../version.js';
import { USAGE, closestRole, roleHelp } from './help.js';
import { realHost, type HostPorts } from './service/host.js';
import { KERNEL_CHECKS } from './service/kernel-probes.js';
import { preflightGuard, runPreflight, type PreflightCheck } from './service/preflight.js';
import { SYSTEM_CHECKS } from './service/preflight-checks.js';
import { notifyListeners, SdNotifier, startWatchdog, watchdogIntervalMs } from './service/sd-notify.js';
import { DaemonShell, type ShellListeners, type ShellOptions } from './service/shell.js';
import { claimProcess, processSignals } from './service/signals.js';
import { stateLockGuard } from './service/state-lock.js';

/** Everything checked before the daemon changes anything: the system first, then the kernel's support. */
const PREFLIGHT: readonly PreflightCheck[] = [...SYSTEM_CHECKS, ...KERNEL_CHECKS];

async function main(argv: string[]): Promise<number> {
  claimProcess();
  let values: { config?: string; 'check-config'?: string; version?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, 'check-config': { type: 'string' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`mcoad: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return help(positionals[0]);
  if (positionals.length > 0) return (process.stderr.write(`mcoad: unexpected argument ${JSON.stringify(positionals[0])}\n${USAGE}\n`), 2);
  if (values.version) return (process.stdout.write(`mcoad ${VERSION}\n`), 0);
  const file = values['check-config'] ?? values.config;
  if (file === undefined) return (process.stderr.write(`${USAGE}\n`), 2);

  let cfg: AnyDaemonConfig;
  try {
    cfg = await loadAnyConfigFile(file);
  } catch (err) {
    process.stderr.write(err instanceof ConfigFileError ? `${err.message}\n` : `mcoad: ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const host = realHost();
  if (values['check-config'] !== undefined) return checkConfig(file, cfg, host);

  let lastError: string | undefined;
  const log = pino({
    level: cfg.logLevel,
    base: { pid: process.pid, role: cfg.role },
    hooks: {
      // The last error line, for sd_notify's STATUS=.
      logMethod(args, method, level) {
        if (level >= 50) lastError = args.map((a) => (typeof a === 'string' ? a : '')).filter((a) => a !== '').join(' ') || lastError;
        method.apply(this, args);
      },
    },
  });
  const notifier = SdNotifier.fromEnv();
  let shell: { statusLine(): Promise<string> } | undefined;
  let notifyFailed = false;
  const notify = notifier
    ? notifyListeners(notifier, {
        status: () => shell?.statusLine() ?? Promise.resolve('starting'),
        lastError: () => lastError,
        onSendError: (err) => {
          if (!notifyFailed) log.warn({ err: String(err) }, 'cannot notify the service manager ($NOTIFY_SOCKET)');
          notifyFailed = true;
        },
      })
    : {};
  const listeners: ShellListeners = { ...notify, failed: (message) => process.stderr.write(`mcoad: cannot start: ${message}\n`) };
  // From the start, so a start stuck in a blocked event loop is caught as well.
  const interval = watchdogIntervalMs();
  const watchdog = notifier && interval !== null ? startWatchdog(notifier, interval) : undefined;
  // The lock first: a second mcoad stops before it looks at anything else.
  const opts: ShellOptions = { host, signals: processSignals, guards: [stateLockGuard(), preflightGuard(host, PREFLIGHT)], listeners };
  // Only the configured role's code is loaded: about half of mcoad's modules belong to the
  // other two roles, and loading them is most of a start on a slow machine.
  const running = cfg.role === 'mobile-node' ? new DaemonShell(cfg, log, (await import('./mn/daemon.js')).MOBILE_NODE_ROLE, opts)
    : cfg.role === 'correspondent' ? new DaemonShell(cfg, log, (await import('./cn/daemon.js')).CORRESPONDENT_ROLE, opts)
    : new DaemonShell(cfg, log, (await import('./ha/daemon.js')).HOME_AGENT_ROLE, opts);
  shell = running;
  try {
    return await running.run();
  } finally {
    watchdog?.stop();
  }
}

/** `--help [ROLE]`: the usage, or one role's help; a mistyped role gets "did you mean". */
function help(role: string | undefined): number {
  if (role === undefined) return (process.stdout.write(`${USAGE}\n`), 0);
  const text = roleHelp(role);
  if (text !== undefined) return (process.stdout.write(`${text}\n`), 0);
  const near = closestRole(role);
  process.stderr.write(`mcoad: no role ${JSON.stringify(role)}${near ? ` (did you mean ${near}?)` : ''}\n${USAGE}\n`);
  return 2;
}

/** `--check-config`: the file, then the preflight checks this user can run; the rest are listed. */
async function checkConfig(file: string, cfg: AnyDaemonConfig, host: HostPorts): Promise<number> {
  for (const w of cfg.warnings) process.stdout.write(`warning: ${w}\n`);
  const report = await runPreflight(PREFLIGHT, cfg, host, 'offline');
  for (const w of report.warnings) process.stdout.write(`warning: ${w}\n`);
  if (report.skipped.length > 0) process.stdout.write(`warning: checked only when mcoad starts (needs its privileges): ${report.skipped.join('; ')}\n`);
  for (const p of report.problems) process.stderr.write(`${file}: ${p}\n`);
  if (report.problems.length > 0) return 1;
  process.stdout.write(`${file}: configuration is valid\n`);
  return 0;
}

// Exit explicitly: a handle left open by a failed start must not keep a stopped daemon alive.
process.exit(await main(process.argv.slice(2)));
