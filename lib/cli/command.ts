// What every mcoactl subcommand provides, and the two errors a command may throw to end
// with a clear one-line message instead of a stack trace.

/** Output sinks, so tests can run commands in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  /** One line for the command list in the usage text. */
  summary: string;
  /** Usage lines shown for `mcoactl help <name>` and on a usage error. */
  usage: string[];
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Wrong arguments: the message and the command's usage on stderr, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Bad input or an environment problem (unreadable file, bad hex): exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
