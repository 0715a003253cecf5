// Splits the user-mode Linux console into lines and decides which ones the host shows.
// Boot messages (before init's first marker) and shutdown messages (after its last one)
// are held back and shown only when the run fails; everything between them, which is
// init's progress and the test runner's report, is passed on live.

/** Prefix of the marker lines that test/uml/init.sh prints; keep in step with it. */
export const MARKER = 'mcoa-uml:';
export const MARK_INIT_STARTED = 'mcoa-uml: init started';
export const MARK_RUNNING = 'mcoa-uml: running';
export const MARK_DONE = 'mcoa-uml: done';
export const MARK_INIT_FAILED = 'mcoa-uml: FAILED in init';
/** `mcoa-uml: file start PATH` before a test file runs. */
export const MARK_FILE_START = 'mcoa-uml: file start ';
/** `mcoa-uml: file end STATUS PATH` after it, with node --test's exit status. */
export const MARK_FILE_END = 'mcoa-uml: file end ';

export type ConsolePhase = 'boot' | 'init' | 'after';

/** Lines held back at most; a boot that loops must not fill the host's memory. */
const HELD_LIMIT = 400;

export class ConsoleFilter {
  private phaseNow: ConsolePhase = 'boot';
  private partial = '';
  private readonly held: string[] = [];
  private droppedHeld = 0;

  /**
   * @param show receives each line to print, without its line end
   * @param onMarker receives each marker line when it arrives (for timing)
   * @param showAll print boot and shutdown lines too (--verbose)
   */
  constructor(
    private readonly show: (line: string) => void,
    private readonly onMarker: (line: string) => void,
    private readonly showAll: boolean,
  ) {}

  get phase(): ConsolePhase {
    return this.phaseNow;
  }

  /** Feeds a decoded chunk of console output. */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** Flushes a last line that had no line end. */
  end(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  /** The held-back boot and shutdown lines, oldest first. */
  heldLines(): string[] {
    const dropped = this.droppedHeld > 0 ? [`[${this.droppedHeld} earlier lines dropped]`] : [];
    return [...dropped, ...this.held];
  }

  private line(raw: string): void {
    // The console may turn "\n" into "\r\n".
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const isMarker = line.startsWith(MARKER);
    if (isMarker && this.phaseNow === 'boot' && line.startsWith(MARK_INIT_STARTED)) {
      this.phaseNow = 'init';
    }
    if (this.phaseNow === 'init' || this.showAll) this.show(line);
    else this.hold(line);
    if (isMarker) {
      this.onMarker(line);
      if (line.startsWith(MARK_DONE) || line.startsWith(MARK_INIT_FAILED)) this.phaseNow = 'after';
    }
  }

  private hold(line: string): void {
    this.held.push(line);
    if (this.held.length > HELD_LIMIT) {
      this.held.shift();
      this.droppedHeld += 1;
    }
  }
}
