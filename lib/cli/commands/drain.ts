// `mcoactl drain` / `mcoactl undrain` (home agent in cluster mode): hand every service address
// this node is active for to a standby and stop campaigning, or campaign again.
import { parseArgs } from 'node:util';
import { EXIT_OK, type CliIo, type Command } from '../command.js';
import { noMorePositionals, SOCKET_OPTION, socketPath, withDaemon } from './daemon.js';

function drainLike(name: 'drain' | 'undrain', summary: string): Command {
  return {
    summary,
    usage: [`mcoactl ${name} [--socket PATH]`],
    run: async (args: string[], io: CliIo): Promise<number> => {
      const { values, positionals } = parseArgs({ args, options: { ...SOCKET_OPTION }, allowPositionals: true, strict: true });
      noMorePositionals(positionals);
      return withDaemon(socketPath(values.socket), io, async (c) => {
        const r = await c.request(name, {});
        if (name === 'undrain') io.out('campaigning again for the service addresses');
        else io.out(r.handedOver.length ? `handed over ${r.handedOver.join(', ')}; not campaigning until undrain` : 'active for no service address; not campaigning until undrain');
        for (const s of r.switched ?? []) {
          io.out(`${s.address}: no other member lists it; home agent switch sent to its mobile nodes, naming ${s.targets.length ? s.targets.join(', ') : 'none (they run DHAAD)'}`);
          io.out(`${s.address}: ${s.left} mobile node(s) de-registered before it was given up${s.stayed ? `, ${s.stayed} did not answer` : ''}`);
        }
        return EXIT_OK;
      });
    },
  };
}

export const drainCommand = drainLike('drain', 'cluster mode: hand the service addresses to a standby and stay standby');
export const undrainCommand = drainLike('undrain', 'cluster mode: campaign for the service addresses again');
