// Process signals of mcoad. bin/mcoad calls claimProcess() before it loads anything else:
// SIGHUP's default action ends the process, and a `systemctl reload` that arrives while the
// daemon is still starting must not. A SIGHUP received before the shell attaches is held
// and handed to it on attach; the shell replays it once it serves (service/shell.ts).
// SIGTERM and SIGINT stop the daemon once the shell is attached; a second one ends it at once.

export interface SignalHandlers {
  reload(): void;
  stop(signal: NodeJS.Signals): void;
}

/** Where the shell's signals come from: the process, or a test. */
export interface SignalSource {
  /** Handlers from now on; a SIGHUP held since claimProcess() is delivered at once. Returns detach. */
  attach(handlers: SignalHandlers): () => void;
}

let claimed = false;
let heldReloads = 0;
let current: SignalHandlers | null = null;

function onHangup(): void {
  if (current) current.reload();
  else heldReloads++;
}

/** Names the process `mcoad` (for pidof and ps) and holds SIGHUP until the shell attaches. Idempotent. */
export function claimProcess(): void {
  if (claimed) return;
  claimed = true;
  process.title = 'mcoad';
  process.on('SIGHUP', onHangup);
}

/** The process's own signals; claims the process if bin/mcoad has not. */
export const processSignals: SignalSource = {
  attach(handlers) {
    claimProcess();
    current = handlers;
    const stop = (signal: NodeJS.Signals) => () => handlers.stop(signal);
    const onTerm = stop('SIGTERM');
    const onInt = stop('SIGINT');
    // Once each: a second Ctrl-C during a slow stop gets the default action and ends it.
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    if (heldReloads > 0) {
      heldReloads = 0;
      handlers.reload();
    }
    return () => {
      if (current === handlers) current = null;
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    };
  },
};
