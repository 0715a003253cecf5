// Kernel errors and the one table that says what an errno means for an
// idempotent writer (strongSwan's kernel-netlink plugin works from such a table).
// Nothing here, or anywhere, matches on the text of an error message.
import { Errno, SyscallError, errnoName } from './sys/errno.js';

/** A request the kernel refused, or a request that could not be completed. */
export class KernelError extends Error {
  /** Positive errno. */
  readonly errno: number;
  /** errno name, e.g. 'EEXIST'. */
  readonly code: string;
  /** What was asked, e.g. 'RTM_NEWLINK ip6tnl mip6-1'. */
  readonly op: string;
  /** The kernel's extended-ack message (NLMSGERR_ATTR_MSG), when it gave one. */
  readonly extack: string | undefined;
  /** Offset into the request of the attribute the kernel blamed (NLMSGERR_ATTR_OFFS). */
  readonly extackOffset: number | undefined;

  constructor(errno: number, op: string, extack?: string, extackOffset?: number) {
    const code = errnoName(errno);
    super(`${op}: ${code}${extack ? ` (${extack})` : ''}`);
    this.name = 'KernelError';
    this.errno = Math.abs(errno);
    this.code = code;
    this.op = op;
    this.extack = extack;
    this.extackOffset = extackOffset;
  }
}

/** What a write was meant to do: decides what EEXIST or ENOENT mean. */
export type WriteIntent = 'create' | 'replace' | 'delete' | 'read';

/**
 * - ok: done
 * - exists: create found the object already there (the caller updates instead)
 * - gone: delete found nothing to delete (counts as success)
 * - resync: kernel state or replies were lost; dump and compare everything again
 * - retry: transient; the same request may succeed later
 * - fail: the request is wrong or refused
 * - permanent: this kernel lacks the feature (a module not loaded, an option not built in);
 *   the request will never succeed on retry, so fail at start or report it once
 */
export type Outcome = 'ok' | 'exists' | 'gone' | 'resync' | 'retry' | 'fail' | 'permanent';

/** The errno table. */
export function classifyErrno(errno: number, intent: WriteIntent): Outcome {
  switch (Math.abs(errno)) {
    case 0:
      return 'ok';
    case Errno.EEXIST:
      return intent === 'create' ? 'exists' : 'fail';
    case Errno.ENOENT:
    case Errno.ESRCH: // IPv6 route and XFRM state deletes say ESRCH
    case Errno.ENODEV: // link deletes say ENODEV
      return intent === 'delete' ? 'gone' : 'fail';
    case Errno.ENOBUFS:
      return 'resync';
    case Errno.EBUSY:
    case Errno.EAGAIN:
    case Errno.EINTR:
      return 'retry';
    case Errno.EPROTONOSUPPORT: // socket(AF_NETLINK, NETLINK_XFRM) without CONFIG_XFRM_USER
    case Errno.EAFNOSUPPORT: // socket(AF_INET6, ...) without IPv6
    case Errno.ENOSYS: // a system call this kernel was built without
    case Errno.EOPNOTSUPP: // link kind, XFRM type (mip6 without CONFIG_XFRM_MIP6) or nexthop object not supported
      return 'permanent';
    default:
      return 'fail';
  }
}

/** classifyErrno for anything a request may reject with; non-kernel errors are 'fail'. */
export function classifyError(err: unknown, intent: WriteIntent): Outcome {
  return err instanceof KernelError ? classifyErrno(err.errno, intent) : 'fail';
}

/** True when retrying cannot help: the kernel lacks what the request needs. */
export function isPermanent(err: unknown): boolean {
  // socket(2) failures arrive as SyscallError, netlink refusals as KernelError.
  const errno = err instanceof KernelError || err instanceof SyscallError ? err.errno : 0;
  return errno !== 0 && classifyErrno(errno, 'read') === 'permanent';
}

/** True for outcomes that leave the kernel as the writer wanted it. */
export function isSuccess(outcome: Outcome): boolean {
  return outcome === 'ok' || outcome === 'gone';
}

export interface Settled {
  outcome: Outcome;
  error?: unknown;
}

/** Awaits a request and classifies how it ended; never rejects. */
export async function settle(request: Promise<unknown>, intent: WriteIntent): Promise<Settled> {
  try {
    await request;
    return { outcome: 'ok' };
  } catch (error) {
    return { outcome: classifyError(error, intent), error };
  }
}
