// mcoad: the Mobile IPv6 home agent daemon.
//   mcoad --config FILE          run (foreground; systemd supervises it)
//   mcoad --check-config FILE    validate a configuration file and exit
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigFileError, loadAnyConfigFile, type AnyDaemonConfig } from '../config/index.js';
import { VERSION } from '../version.js';
import { HOME_AGENT_ROLE } from './ha/daemon.js';
import { MOBILE_NODE_ROLE } from './mn/daemon.js';
import { CORRESPONDENT_ROLE } from './cn/daemon.js';
import { realHost } from './service/host.js';
import { DaemonShell, type ShellOptions } from './service/shell.js';
import { claimProcess, processSignals } from './service/signals.js';

const USAGE = `usage: mcoad --config FILE | --check-config FILE | --version
  --config FILE         run the home agent with this configuration (YAML)
  --check-config FILE   validate FILE, print its warnings, exit 0 (valid) or 1 (invalid)`;

async function main(argv: string[]): Promise<number> {
  claimProcess();
  let values: { config?: string; 'check-config'?: string; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, 'check-config': { type: 'string' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`mcoad: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (process.stdout.write(`${USAGE}\n`), 0);
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
  if (values['check-config'] !== undefined) {
    for (const w of cfg.warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(`${file}: configuration is valid\n`);
    return 0;
  }

  const log = pino({ level: cfg.logLevel, base: { pid: process.pid, role: cfg.role } });
  // The state directory lock and the preflight checks go into `guards` (ahead of any change).
  const opts: ShellOptions = { host: realHost(), signals: processSignals, guards: [] };
  switch (cfg.role) {
    case 'mobile-node':
      return new DaemonShell(cfg, log, MOBILE_NODE_ROLE, opts).run();
    case 'correspondent':
      return new DaemonShell(cfg, log, CORRESPONDENT_ROLE, opts).run();
    case 'home-agent':
      return new DaemonShell(cfg, log, HOME_AGENT_ROLE, opts).run();
  }
}

// Exit explicitly: a handle left open by a failed start must not keep a stopped daemon alive.
process.exit(await main(process.argv.slice(2)));
