// `mcoactl flush`: removes every binding (the daemon removes their kernel state too).
import { parseArgs } from 'node:util';
import { EXIT_OK, type CliIo, type Command } from '../command.js';
import { noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';

export const flushCommand: Command = {
  summary: 'delete every binding',
  usage: ['mcoactl flush [--socket PATH]'],
  run: async (args: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION }, allowPositionals: true, strict: true });
    noMorePositionals(positionals);
    return withDaemon(socketPath(values.socket), io, async (c) => {
      const r = await c.request('flush', {});
      io.out(`flushed ${r.removed} binding${r.removed === 1 ? '' : 's'}`);
      return EXIT_OK;
    });
  },
};
