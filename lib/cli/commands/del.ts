// `mcoactl del binding HOA [BID]`: removes one binding, or every binding of a home address.
import { parseArgs } from 'node:util';
import { EXIT_OK, UsageError, type CliIo, type Command } from '../command.js';
import { bidArg, homeAddressArg, noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';

export const delCommand: Command = {
  summary: 'delete a binding (or every binding of a home address)',
  usage: ['mcoactl del binding HOA [BID] [--socket PATH]'],
  run: runDel,
};

async function runDel(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION }, allowPositionals: true, strict: true });
  const [what, hoaText, bidText, ...rest] = positionals;
  if (what !== 'binding' && what !== 'bindings') throw new UsageError(what === undefined ? 'delete what? binding' : `cannot delete ${JSON.stringify(what)}: binding`);
  if (hoaText === undefined) throw new UsageError('which home address?');
  noMorePositionals(rest);
  const hoa = homeAddressArg(hoaText);
  const bid = bidText === undefined ? undefined : bidArg(bidText);
  return withDaemon(socketPath(values.socket), io, async (c) => {
    const r = await c.request('del-binding', bid === undefined ? { hoa } : { hoa, bid });
    io.out(bid === undefined ? `deleted ${r.removed} binding${r.removed === 1 ? '' : 's'} of ${hoa}` : `deleted binding ${hoa} bid ${bid}`);
    return EXIT_OK;
  });
}
