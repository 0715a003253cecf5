// Child process for the state-lock tests: takes the lock on argv[2], says "locked PID",
// then holds it until killed (or until its stdin closes, so a crashed test leaves no orphan).
import { StateLock } from '../../../../lib/daemon/service/state-lock.js';

const lock = StateLock.acquire(process.argv[2]!);
process.stdout.write(`locked ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  lock.release();
  process.exit(0);
});
