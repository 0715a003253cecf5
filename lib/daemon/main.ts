// mcoad: the Mobile IPv6 home agent daemon.
//   mcoad --config FILE          run (foreground; systemd supervises it)
//   mcoad --check-config FILE    validate a configuration file and exit
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { ConfigFileError, loadAnyConfigFile } from '../config/index.js';
import { ControlServer } from '../control/server.js';
import { VERSION } from '../version.js';
import { registerHandlers, reload } from './ha/control.js';
import { HomeAgentDaemon } from './ha/daemon.js';
import { MobileNodeDaemon } from './mn/daemon.js';
import { CorrespondentDaemon } from './cn/daemon.js';
import { registerCorrespondentHandlers } from './cn/control.js';
import { registerMobileNodeHandlers, reloadMobileNode } from './mn/control.js';

const USAGE = `usage: mcoad --config FILE | --check-config FILE | --version
  --config FILE         run the home agent with this configuration (YAML)
  --check-config FILE   validate FILE, print its warnings, exit 0 (valid) or 1 (invalid)`;

async function main(argv: string[]): Promise<number> {
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

  let cfg;
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
  if (cfg.role === 'mobile-node') {
    return serve(cfg, log, file, () => MobileNodeDaemon.start(cfg, log), registerMobileNodeHandlers, (d) => {
      reloadMobileNode(d).catch((err: unknown) => log.error({ err: String(err) }, 'reload refused; the running configuration stays'));
    });
  }
  if (cfg.role === 'correspondent') {
    return serve(cfg, log, file, () => CorrespondentDaemon.start(cfg, log), registerCorrespondentHandlers, () =>
      log.warn('reload is not supported in the correspondent role; restart to apply changes'),
    );
  }
  return serve(cfg, log, file, () => HomeAgentDaemon.start(cfg, log), registerHandlers, (d) => {
    reload(d).catch((err: unknown) => log.error({ err: String(err) }, 'reload refused; the running configuration stays'));
  });
}

interface Served {
  control: ControlServer | undefined;
  stop(): Promise<void>;
}

/** Starts a role's daemon, serves its control socket, reloads on SIGHUP, stops on SIGTERM/SIGINT. */
async function serve<D extends Served>(
  cfg: { control: { path: string; mode: number; group: string | number | null } },
  log: Logger,
  file: string,
  start: () => Promise<D>,
  register: (server: ControlServer, d: D) => void,
  onHup: (d: D) => void,
): Promise<number> {
  let daemon: D;
  try {
    daemon = await start();
  } catch (err) {
    log.fatal({ err: String(err) }, 'cannot start');
    return 1;
  }
  const control = new ControlServer({ onHandlerError: (cmd, err) => log.error({ cmd, err: String(err) }, 'control command failed') });
  register(control, daemon);
  try {
    await control.listen(cfg.control.path, { mode: cfg.control.mode, ...(cfg.control.group !== null ? { group: cfg.control.group } : {}) });
  } catch (err) {
    log.fatal({ err: String(err), path: cfg.control.path }, 'cannot open the control socket');
    await daemon.stop();
    return 1;
  }
  daemon.control = control;
  log.info({ version: VERSION, config: file, control: cfg.control.path }, 'mcoad running');
  process.on('SIGHUP', () => onHup(daemon));
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info({ signal: sig }, 'stopping (kernel objects stay in place for the next start)');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await daemon.stop();
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

// Exit explicitly: a handle left open by a failed start must not keep a stopped daemon alive.
process.exit(await main(process.argv.slice(2)));
