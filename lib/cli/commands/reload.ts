// `mcoactl reload`: the daemon rereads its configuration file. A file with problems is
// refused and the running configuration stays; the problems are listed one per line.
// Otherwise one line per changed key: applied (and how), or waiting for a restart (and why).
import { parseArgs } from 'node:util';
import { ControlRequestError } from '../../control/client.js';
import { ErrorCode } from '../../control/protocol.js';
import { EXIT_FAILURE, EXIT_OK, type CliIo, type Command } from '../command.js';
import { noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';

export const reloadCommand: Command = {
  summary: 'reread the configuration file',
  usage: ['mcoactl reload [--socket PATH]'],
  run: async (args: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION }, allowPositionals: true, strict: true });
    noMorePositionals(positionals);
    return withDaemon(socketPath(values.socket), io, async (c) => {
      try {
        const r = await c.request('reload', {});
        io.out('configuration reloaded');
        const rows = [
          ...(r.applied ?? []).map((a) => ['applied', a.key, a.detail]),
          ...(r.notApplied ?? []).map((n) => ['restart', n.key, `needs a restart: ${n.detail}`]),
        ];
        const width = Math.max(0, ...rows.map((row) => row[1]!.length));
        for (const [what, key, detail] of rows) io.out(`  ${what!.padEnd(7)}  ${key!.padEnd(width)}  ${detail!}`);
        for (const w of r.warnings) io.err(`mcoactl reload: warning: ${w}`);
        return EXIT_OK;
      } catch (e) {
        if (!(e instanceof ControlRequestError) || e.code !== ErrorCode.CONFIG_INVALID) throw e;
        io.err('mcoactl reload: configuration not reloaded (mcoad keeps the running one):');
        for (const line of e.message.split('\n')) io.err(`  ${line}`);
        return EXIT_FAILURE;
      }
    });
  },
};
