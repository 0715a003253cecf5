// `mcoactl monitor`: binding events as they happen, until Ctrl-C (like `ip monitor`).
import { parseArgs } from 'node:util';
import { CliError, EXIT_OK, type CliIo, type Command } from '../command.js';
import { JSON_OPTION, noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';
import { eventLine } from './render.js';

export const monitorCommand: Command = {
  summary: 'show binding events as they happen (Ctrl-C ends)',
  usage: ['mcoactl monitor [--json] [--socket PATH]'],
  run: async (args: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION, ...JSON_OPTION }, allowPositionals: true, strict: true });
    noMorePositionals(positionals);
    return withDaemon(socketPath(values.socket), io, async (c) => {
      let interrupted = false;
      const stop = () => {
        interrupted = true;
        c.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await c.monitor((e) => io.out(values.json ? JSON.stringify(e) : eventLine(e)));
      } catch (e) {
        if (!interrupted) throw e; // Ctrl-C before the daemon confirmed: just stop
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      if (interrupted) return EXIT_OK;
      throw new CliError('mcoad closed the connection');
    });
  },
};
