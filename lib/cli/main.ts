// mcoactl's command dispatch. Each subcommand is a Command in its own module, listed in
// COMMANDS; adding one (show, del, flush, reload, monitor, purge) is one import and one entry.
// Errors end as one line on stderr: UsageError -> exit 2 with usage, CliError -> exit 1,
// anything unexpected -> exit 1 with its message (a stack trace only with MCOACTL_DEBUG=1).
import { closest } from '../config/suggest.js';
import { VERSION } from '../version.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command.js';
import { decodeCommand } from './decode/decode.js';
import { showCommand } from './commands/show.js';
import { delCommand } from './commands/del.js';
import { flushCommand } from './commands/flush.js';
import { drainCommand, undrainCommand } from './commands/drain.js';
import { reloadCommand } from './commands/reload.js';
import { monitorCommand } from './commands/monitor.js';
import { purgeCommand } from './commands/purge.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['decode', decodeCommand],
  ['show', showCommand],
  ['del', delCommand],
  ['flush', flushCommand],
  ['reload', reloadCommand],
  ['drain', drainCommand],
  ['undrain', undrainCommand],
  ['monitor', monitorCommand],
  ['purge', purgeCommand],
]);

/**
 * Global options written before the command (`mcoactl --socket PATH show bindings`) move
 * behind the command name, where the commands that talk to mcoad read them.
 */
export function hoistGlobalOptions(argv: string[]): string[] {
  const hoisted: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--socket' && i + 1 < argv.length) hoisted.push(a, argv[++i]!);
    else if (a.startsWith('--socket=')) hoisted.push(a);
    else break;
  }
  if (hoisted.length === 0 || i >= argv.length) return argv;
  return [argv[i]!, ...hoisted, ...argv.slice(i + 1)];
}

export function usage(commands: ReadonlyMap<string, Command> = COMMANDS): string[] {
  const width = Math.max(...[...commands.keys()].map((k) => k.length));
  return [
    'usage: mcoactl COMMAND [ARGS...]',
    '',
    'commands:',
    ...[...commands].map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show this text, or a command's usage: mcoactl help COMMAND`,
    '',
    'global options:',
    '  --socket PATH  control socket of mcoad (default $MCOAD_SOCKET, else /run/mcoad/mcoad.sock)',
    '',
    `mcoactl ${VERSION}`,
  ];
}

export async function main(argv: string[], io: CliIo, commands: ReadonlyMap<string, Command> = COMMANDS): Promise<number> {
  const [name, ...args] = hoistGlobalOptions(argv);
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && args[0] !== undefined ? commands.get(args[0]) : undefined;
    const lines = topic ? topic.usage.map((u) => `usage: ${u}`) : usage(commands);
    const sink = name === undefined ? io.err : io.out;
    lines.forEach((l) => sink(l));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === 'version') {
    io.out(`mcoactl ${VERSION}`);
    return EXIT_OK;
  }
  const command = commands.get(name);
  if (!command) {
    const near = closest(name, [...commands.keys(), 'help', 'version']);
    io.err(`mcoactl: unknown command ${JSON.stringify(name)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`);
    usage(commands).forEach((l) => io.err(l));
    return EXIT_USAGE;
  }
  if (args.includes('--help') || args.includes('-h')) {
    command.usage.forEach((u) => io.out(`usage: ${u}`));
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (e) {
    return reportError(e, name, command, io);
  }
}

function reportError(e: unknown, name: string, command: Command, io: CliIo): number {
  const code = (e as { code?: unknown } | null)?.code;
  if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
    // parseArgs appends advice about '--' to unknown-option messages; the first sentence says it.
    io.err(`mcoactl ${name}: ${(e as Error).message.split('. ')[0]}`);
    command.usage.forEach((u) => io.err(`usage: ${u}`));
    return EXIT_USAGE;
  }
  if (e instanceof CliError) {
    io.err(`mcoactl ${name}: ${e.message}`);
    return EXIT_FAILURE;
  }
  io.err(`mcoactl ${name}: internal error: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.MCOACTL_DEBUG === '1' && e instanceof Error && e.stack) io.err(e.stack);
  return EXIT_FAILURE;
}
