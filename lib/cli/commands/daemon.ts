// What every mcoactl command that talks to mcoad shares: the --socket option (default
// $MCOAD_SOCKET, then /run/mcoad/mcoad.sock), connecting, and turning the daemon's error
// responses and an absent daemon into one clear line and exit status 1.
import { ConnectionLostError, ControlClient, ControlRequestError, DaemonUnreachableError } from '../../control/client.js';
import { DEFAULT_SOCKET_PATH } from '../../control/protocol.js';
import { CliError, EXIT_FAILURE, UsageError, type CliIo } from '../command.js';
import { canonicalIp6, type Ip6 } from '../../inet/ip6.js';

export const SOCKET_OPTION = { socket: { type: 'string' } } as const;
export const JSON_OPTION = { json: { type: 'boolean', default: false } } as const;

export function socketPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.MCOAD_SOCKET || DEFAULT_SOCKET_PATH);
}

/** Connects, runs `fn`, closes; an unreachable daemon is `mcoactl: cannot reach ...`, exit 1. */
export async function withDaemon(path: string, io: CliIo, fn: (c: ControlClient) => Promise<number>): Promise<number> {
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(path);
    return await fn(client);
  } catch (e) {
    if (e instanceof DaemonUnreachableError || e instanceof ConnectionLostError) {
      io.err(`mcoactl: ${e.message}`);
      return EXIT_FAILURE;
    }
    if (e instanceof ControlRequestError) throw new CliError(`${e.message} (${e.code})`);
    throw e;
  } finally {
    client?.close();
  }
}

export function homeAddressArg(text: string): Ip6 {
  const hoa = canonicalIp6(text);
  if (!hoa) throw new UsageError(`not an IPv6 address: ${JSON.stringify(text)}`);
  return hoa;
}

export function bidArg(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 0xffff) throw new UsageError(`BID must be 0..65535: ${JSON.stringify(text)}`);
  return Number(text);
}

export function noMorePositionals(rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
}
