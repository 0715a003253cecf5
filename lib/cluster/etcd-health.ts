// Whether etcd answers this node, as its own round trips say (lease grants and keep-alives,
// binding writes, `show cluster`'s read), and since when: `show cluster` prints "etcd
// unreachable since T, retrying", and the metrics export it. A state changes on the first
// round trip that contradicts it; the wall clock is handed in (the tests drive it).
import type { ClusterObserver } from './observer.js';

export interface EtcdHealthState {
  reachable: boolean;
  /** Wall clock (ms) of the round trip that made it so (null: no round trip yet). */
  sinceMs: number | null;
  /** Why the last failed round trip failed, while unreachable. */
  error: string | null;
}

export class EtcdHealth implements ClusterObserver {
  private state: EtcdHealthState = { reachable: true, sinceMs: null, error: null };

  constructor(private readonly wallNow: () => number = Date.now) {}

  get(): EtcdHealthState {
    return { ...this.state };
  }

  /** A round trip etcd answered. */
  answered(): void {
    if (!this.state.reachable || this.state.sinceMs === null) this.state = { reachable: true, sinceMs: this.wallNow(), error: null };
  }

  /** A round trip etcd did not answer (a timeout, a refused or reset connection). */
  failed(error: string): void {
    if (this.state.reachable) this.state = { reachable: false, sinceMs: this.wallNow(), error };
    else this.state.error = error;
  }

  leaseRoundTrip(_kind: 'grant' | 'keepalive', _seconds: number, error: string | null): void {
    if (error === null) this.answered();
    else this.failed(error);
  }

  storeWrite(_seconds: number, outcome: 'written' | 'conflict' | 'fenced' | 'failed'): void {
    // A lost round or a fence that did not hold is an answer all the same.
    if (outcome === 'failed') this.failed('a binding write got no answer');
    else this.answered();
  }
}
