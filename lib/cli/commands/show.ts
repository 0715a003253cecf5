// `mcoactl show bindings [HOA]` and `mcoactl show stats`: the binding cache and counters.
import { parseArgs } from 'node:util';
import { closest } from '../../config/suggest.js';
import { EXIT_OK, UsageError, type CliIo, type Command } from '../command.js';
import { homeAddressArg, JSON_OPTION, noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';
import { bindingsTable, statsLines } from './render.js';
import { prefixesLines } from './prefixes-render.js';
import { flowsTable } from './flows-render.js';
import { clusterLines } from './cluster-render.js';

export const showCommand: Command = {
  summary: 'show the binding cache or the daemon\'s counters',
  usage: [
    'mcoactl show bindings [HOA] [--json] [--socket PATH]',
    'mcoactl show stats [--json | --prometheus] [--socket PATH]',
    'mcoactl show prefixes [--json] [--socket PATH]',
    'mcoactl show flows [HOA] [--json] [--socket PATH]',
    'mcoactl show cluster [--json] [--socket PATH]',
  ],
  run: runShow,
};

const PROMETHEUS_OPTION = { prometheus: { type: 'boolean' } } as const;

async function runShow(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION, ...JSON_OPTION, ...PROMETHEUS_OPTION }, allowPositionals: true, strict: true });
  if (values.prometheus && positionals[0] !== 'stats') throw new UsageError('--prometheus is for show stats');
  if (values.prometheus && values.json) throw new UsageError('--prometheus and --json: one or the other');
  const [what, ...rest] = positionals;
  const path = socketPath(values.socket);
  const print = (lines: string[], data: unknown) => (values.json ? io.out(JSON.stringify(data)) : lines.forEach((l) => io.out(l)));
  switch (what) {
    case 'bindings':
    case 'binding': {
      const [hoaText, ...extra] = rest;
      noMorePositionals(extra);
      const hoa = hoaText === undefined ? undefined : homeAddressArg(hoaText);
      return withDaemon(path, io, async (c) => {
        const bindings = await c.request('show-bindings', hoa === undefined ? {} : { hoa });
        print(bindingsTable(bindings), bindings);
        return EXIT_OK;
      });
    }
    case 'flows':
    case 'flow': {
      const [hoaText, ...extra] = rest;
      noMorePositionals(extra);
      const hoa = hoaText === undefined ? undefined : homeAddressArg(hoaText);
      return withDaemon(path, io, async (c) => {
        const flows = await c.request('show-flows', hoa === undefined ? {} : { hoa });
        print(flowsTable(flows), flows);
        return EXIT_OK;
      });
    }
    case 'stats': {
      noMorePositionals(rest);
      return withDaemon(path, io, async (c) => {
        if (values.prometheus) {
          // The text exposition as is: node_exporter's textfile collector reads it from a file.
          const m = await c.request('show-metrics', {});
          io.out(m.text.replace(/\n$/, ''));
          return EXIT_OK;
        }
        const stats = await c.request('show-stats', {});
        print(statsLines(stats), stats);
        return EXIT_OK;
      });
    }
    case 'prefixes': {
      noMorePositionals(rest);
      return withDaemon(path, io, async (c) => {
        const v = await c.request('show-prefixes', {});
        print(prefixesLines(v), v);
        return EXIT_OK;
      });
    }
    case 'cluster': {
      noMorePositionals(rest);
      return withDaemon(path, io, async (c) => {
        const v = await c.request('show-cluster', {});
        print(clusterLines(v), v);
        return EXIT_OK;
      });
    }
    case undefined:
      throw new UsageError('show what? bindings, flows, stats, prefixes or cluster');
    default:
      const near = closest(what, ['bindings', 'flows', 'stats', 'prefixes', 'cluster']);
      throw new UsageError(`cannot show ${JSON.stringify(what)}: bindings, flows, stats, prefixes or cluster${near ? ` (did you mean ${near}?)` : ''}`);
  }
}
