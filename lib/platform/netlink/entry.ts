// One request on a NetlinkSocket, and what each reply message means for it.
// The step functions decide (and collect dump results); the socket acts on the
// decision: finish the request, fail it, redo a dump, or sweep after a barrier.
import { Errno } from '../sys/errno.js';
import { KernelError } from '../kernel-errors.js';
import { parseAck, parseDone, type AckInfo } from './nlmsgerr.js';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_MIN_TYPE, NLM_F_DUMP_INTR } from './netlink-constants.js';
import { rdU16, type NlMsg } from './parse.js';

/** The operation's name for errors; a function is only called when an error needs it. */
export type OpLabel = string | (() => string);

export type EntryKind = 'request' | 'dump' | 'barrier';

export interface Entry {
  kind: EntryKind;
  msg: Uint8Array;
  op: OpLabel | undefined;
  seq: number;
  /** Send order, for the barrier sweep (sequence numbers wrap, this does not). */
  order: number;
  onReply: ((m: NlMsg) => void) | undefined;
  parse: ((m: NlMsg) => unknown) | undefined;
  results: unknown[];
  /** A part of this dump carried NLM_F_DUMP_INTR. */
  intr: boolean;
  attempts: number;
  /** A reply handler or parser threw; reported when the kernel has finished. */
  failure: unknown;
  resolve: (v: never) => void;
  reject: (e: unknown) => void;
}

export function newEntry(kind: EntryKind, msg: Uint8Array, op: OpLabel | undefined, parts: Partial<Entry> = {}): Entry {
  return { kind, msg, op, seq: 0, order: 0, onReply: undefined, parse: undefined, results: [], intr: false, attempts: 0, failure: undefined, resolve: () => {}, reject: () => {}, ...parts };
}

export function labelOf(e: Entry): string {
  const op = e.op;
  if (typeof op === 'function') return op();
  return op ?? `nlmsg type ${e.msg.length >= 6 ? rdU16(e.msg, 4) : '?'}`;
}

export function ackError(e: Entry, a: AckInfo): KernelError {
  return new KernelError(a.errno, labelOf(e), a.extack, a.extackOffset);
}

export function lostAckError(e: Entry): KernelError {
  return new KernelError(Errno.ENOBUFS, labelOf(e), 'acknowledgement lost: receive queue overrun');
}

/** What a message means for its request. */
export type Step =
  | { kind: 'more' } // not finished yet
  | { kind: 'ok' } // finished; resolve (a dump with its results)
  | { kind: 'fail'; error: unknown }
  | { kind: 'redo' } // an interrupted dump: send it again
  | { kind: 'barrier' }; // a barrier's ACK: requests sent before it lost theirs

const MORE: Step = { kind: 'more' };

/** A reply to a request (NLM_F_ACK) or a barrier. */
export function replyStep(e: Entry, m: NlMsg): Step {
  if (m.type !== NLMSG_ERROR) {
    if (m.type >= NLMSG_MIN_TYPE && e.onReply && e.failure === undefined) {
      try {
        e.onReply(m);
      } catch (err) {
        e.failure = err;
      }
    }
    return MORE;
  }
  let a: AckInfo;
  try {
    a = parseAck(m);
  } catch (err) {
    return { kind: 'fail', error: err };
  }
  if (e.kind === 'barrier') return { kind: 'barrier' };
  if (a.errno !== 0) return { kind: 'fail', error: ackError(e, a) };
  if (e.failure !== undefined) return { kind: 'fail', error: e.failure };
  return { kind: 'ok' };
}

/** A part of a dump: parse it into e.results, or finish at NLMSG_DONE. */
export function dumpStep(e: Entry, m: NlMsg): Step {
  if (m.flags & NLM_F_DUMP_INTR) e.intr = true;
  if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
    let a: AckInfo;
    try {
      a = m.type === NLMSG_DONE ? parseDone(m) : parseAck(m);
    } catch (err) {
      return { kind: 'fail', error: err };
    }
    if (a.errno !== 0) return { kind: 'fail', error: ackError(e, a) };
    if (e.failure !== undefined) return { kind: 'fail', error: e.failure };
    return e.intr ? { kind: 'redo' } : { kind: 'ok' };
  }
  if (m.type < NLMSG_MIN_TYPE || e.failure !== undefined || !e.parse) return MORE;
  try {
    const v = e.parse(m);
    if (v !== undefined) e.results.push(v);
  } catch (err) {
    e.failure = err; // reported at NLMSG_DONE, so the rest of the dump is still drained
  }
  return MORE;
}
