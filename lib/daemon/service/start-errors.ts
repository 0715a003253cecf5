// What a failed start tells the operator: what mcoad was doing and what to do about it,
// not a bare `socket (10, 3, 135): EPERM`. Errors that already say both (the state lock,
// preflight, the control socket's own refusals) pass through; errno-carrying errors get
// the advice of their errno for what was being done.
import { KernelError } from '../../platform/kernel-errors.js';
import { SyscallError } from '../../platform/sys/errno.js';

const HOW_TO_RUN = 'run as root or via systemd/mcoad.service';

/** An error with what the daemon was doing when it happened ("opening the Mobility Header socket"). */
export class StartStepError extends Error {
  override name = 'StartStepError';
  constructor(
    readonly doing: string,
    override readonly cause: unknown,
  ) {
    super(`${doing}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Runs `fn`, putting `doing` on what it throws. */
export function doing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new StartStepError(what, err);
  }
}

function errnoCode(err: unknown): string | undefined {
  if (err instanceof SyscallError || err instanceof KernelError) return err.code;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Advice for an errno met while `doing` something; undefined when there is nothing useful to add. */
function advice(doingWhat: string, code: string, err: unknown): string | undefined {
  const socketCall = err instanceof SyscallError && err.syscall === 'socket';
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      if (socketCall) return `needs CAP_NET_RAW (${HOW_TO_RUN})`;
      if (/sysctl|kernel settings/.test(doingWhat)) return `needs CAP_NET_ADMIN and a writable /proc/sys/net/ipv6 (${HOW_TO_RUN}; the unit's ReadWritePaths=)`;
      if (err instanceof KernelError || /netlink/.test(doingWhat)) return `needs CAP_NET_ADMIN (${HOW_TO_RUN})`;
      return `permission denied: ${HOW_TO_RUN}`;
    case 'EROFS':
      return 'the file system is read-only';
    case 'EPROTONOSUPPORT':
    case 'EAFNOSUPPORT':
    case 'ENOSYS':
    case 'EOPNOTSUPP':
      return 'the kernel lacks this feature (a module not loaded or an option not built in); `mcoad --check-config` and the start-up log name what is missing';
    case 'ENOENT':
      return /namespace/.test(doingWhat) ? 'no such network namespace: create it (ip netns add NAME) or correct the key netns' : undefined;
    default:
      return undefined;
  }
}

/** One line for the log and for stderr: the step, what was being done, what happened, what to do. */
export function explainStartFailure(step: string, err: unknown): string {
  const what = err instanceof StartStepError ? err.doing : step;
  const cause = err instanceof StartStepError ? err.cause : err;
  const text = cause instanceof Error ? cause.message : String(cause);
  const code = errnoCode(cause);
  const tip = code === undefined ? undefined : advice(what, code, cause);
  const head = what === step ? step : `${step}: ${what}`;
  return tip === undefined ? `${head}: ${text}` : `${head}: ${text}: ${tip}`;
}
