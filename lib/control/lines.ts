// Splits a byte stream into newline-terminated lines with a cap on line length, counting
// bytes rather than characters so a peer cannot make the buffer grow without bound.
const NL = 0x0a;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Complete lines (without '\n', UTF-8 decoded), or 'overflow' once a line passes the cap. */
  push(chunk: Buffer): string[] | 'overflow' {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      if (this.size + (nl - start) > this.maxBytes) return 'overflow';
      const piece = chunk.subarray(start, nl);
      lines.push((this.parts.length ? Buffer.concat([...this.parts, piece]) : piece).toString('utf8'));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.size += chunk.length - start;
      if (this.size > this.maxBytes) return 'overflow';
      this.parts.push(chunk.subarray(start));
    }
    return lines;
  }

  /** Bytes of an unfinished line held. */
  get pending(): number {
    return this.size;
  }
}
