import { promises as fs } from 'node:fs';
import { isEventObject, type RunEvent } from '../../shared/run-events.js';

/** The most one read takes: a script that writes a million lines at once is taken in steps. */
const MAX_READ = 8 << 20;

/**
 * Follows the metrics.jsonl a command appends to, from a byte offset on: each complete line becomes an
 * event; a line that is not a JSON event object is skipped and counted, and the first one is reported
 * (the caller logs it once). Bytes are split at newlines before decoding, so a UTF-8 character cut by a
 * read is never garbled; an incomplete last line waits for the next read.
 */
export class MetricsIngest {
  invalid = 0;
  private line: number;
  /** Inside a line longer than one read: its rest is skipped. */
  private skipping = false;

  constructor(
    private readonly file: string,
    private offset: number,
    /** Lines before `offset`, so reports name the file's own line numbers. */
    linesBefore: number,
    private readonly onEvent: (event: RunEvent) => void,
    private readonly onFirstInvalid: (line: number, text: string) => void,
  ) {
    this.line = linesBefore;
  }

  /** Where a follower starts: the file's current size and its number of lines. */
  static async start(file: string): Promise<{ offset: number; lines: number }> {
    try {
      const bytes = await fs.readFile(file);
      let lines = 0;
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) lines++;
      return { offset: bytes.length, lines };
    } catch {
      return { offset: 0, lines: 0 };
    }
  }

  /** Reads what was appended since the last call. */
  async poll(): Promise<void> {
    while (await this.step());
  }

  /** One bounded read; true when it advanced and there is more to read. */
  private async step(): Promise<boolean> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch {
      return false;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return false;
      const buffer = Buffer.alloc(Math.min(size - this.offset, MAX_READ));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      if (end === 0) {
        // An incomplete last line waits for its newline, unless it is longer than a read: not an event
        // anyone can use; it is skipped to its end.
        if (bytesRead < MAX_READ) return false;
        this.offset += bytesRead;
        if (!this.skipping) this.report('(a line longer than 8 MiB)');
        this.skipping = true;
        return this.offset < size;
      }
      this.offset += end;
      const lines = buffer.subarray(0, end - 1).toString('utf8').split('\n');
      // The rest of an over-long line, already counted.
      if (this.skipping) {
        lines.shift();
        this.line++;
        this.skipping = false;
      }
      for (const text of lines) this.take(text);
      return this.offset < size;
    } finally {
      await handle.close();
    }
  }

  private take(text: string): void {
    this.line++;
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (isEventObject(value)) this.onEvent(value);
    else this.report(text);
  }

  private report(text: string): void {
    this.invalid++;
    if (this.invalid === 1) this.onFirstInvalid(this.line, text.length > 200 ? `${text.slice(0, 200)}…` : text);
  }
}
