import { promises as fs } from 'node:fs';
import { isEventObject, type RunEvent } from '../../shared/run-events.js';

/** Events read from metrics.jsonl between two byte offsets. */
export interface EventTail {
  events: RunEvent[];
  /** Where this read started (0 when the file was replaced or truncated since `since`). */
  from: number;
  /** Just past the last complete line read: the next read starts here. */
  offset: number;
}

/**
 * Reads the complete lines of a run's metrics.jsonl from byte `since` on. A last line without its newline
 * (a writer mid-append, or a crash) is left for the next read, which gets it once it is complete; a file
 * smaller than `since` was replaced and is read from the start. `since` need not be a line start (a size
 * taken while a writer appended): the partial line there is skipped. Returns null if the file is missing.
 */
export async function readEventTail(file: string, since = 0): Promise<EventTail | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await handle.stat();
    const from = since > size ? 0 : since;
    // One byte before `from` tells whether it is a line start.
    const start = from > 0 ? from - 1 : 0;
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const bytes = buffer.subarray(0, bytesRead);
    const end = bytes.lastIndexOf(0x0a) + 1;
    let begin = from - start;
    if (from > 0 && bytes[0] !== 0x0a) begin = bytes.indexOf(0x0a) + 1; // resynchronise on the next line
    if (end <= begin) return { events: [], from, offset: Math.max(from, start + end) };
    const events: RunEvent[] = [];
    for (const line of bytes.subarray(begin, end).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        const event = JSON.parse(line) as unknown;
        if (isEventObject(event)) events.push(event);
      } catch {
        // a line cut by a crash; the run log says what happened
      }
    }
    return { events, from, offset: start + end };
  } finally {
    await handle.close();
  }
}
