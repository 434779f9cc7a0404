import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ExpmanError } from '../errors.js';
import { compileLogPattern, logPatternProblem } from '../../shared/log-pattern.js';
import {
  LOG_LEVELS,
  MAX_LOG_MATCHES,
  MAX_LOG_READ_LINES,
  type LogInfo,
  type LogLevel,
  type LogLine,
  type LogReadRequest,
  type LogSearchRequest,
  type LogSearchResult,
  type LogWindow,
} from '../../shared/logs.js';
import { LineTable, UintList } from './line-table.js';
import { codeOfLevel, levelOfCode, NO_LEVEL, parseLevelCode } from './log-level.js';
import { RegexTimeoutError, sharedRegexPool, type RegexPool } from './regex-pool.js';

/** Bytes read per step while indexing and searching: large enough for the OS, small enough for memory. */
const CHUNK_BYTES = 4 << 20;
/** A line's header must be whole in one buffer to parse its level; electron-log's fits in ~40 bytes. */
const HEADER_BYTES = 64;
/** One read returns at most this much of a single line (a runaway line must not reach the UI whole). */
export const MAX_LINE_BYTES = 64 << 10;
/** A window whose lines span at most this many bytes is read with one read() call. */
const SPAN_READ_BYTES = 1 << 20;
/** A refresh with more than this many bytes to index answers reads while it runs (progressive
 * indexing): the head from the part indexed so far, the tail by reading the end of the file. */
const PROGRESSIVE_BYTES = 8 << 20;
/** A tail read before the index is complete reads the end of the file in steps up to this many bytes. */
const TAIL_SCAN_BYTES = 256 << 10;
const MAX_TAIL_SCAN_BYTES = 16 << 20;
/** Level filters kept warm (each is a row → line map, 4 bytes a matching line). */
const MAX_FILTERS = 4;
const NO_FILTER = -1;

interface Filter {
  rows: UintList;
  scanned: number;
}

interface SearchState {
  key: string;
  table: LineTable;
  scanned: number;
  matches: number[];
  truncated: boolean;
}

export interface LogIndexOptions {
  /** Bytes read per indexing step (default 4 MiB). */
  chunkBytes?: number;
  /** Refreshes with more bytes than this to index are progressive (default 8 MiB). */
  progressiveBytes?: number;
  /** Awaited after each indexing step: tests hold a build half-way here to look at it. */
  onChunk?: () => Promise<void> | void;
  /** Where regex searches run (default: the process's shared pool of worker threads). */
  regexPool?: RegexPool;
}

/** What one read or search works on: the tables are append-only, so a snapshot stays consistent while
 * a concurrent refresh appends; a reset (truncation, rotation) replaces them instead of clearing. */
interface Snapshot {
  table: LineTable;
  complete: number;
  tailStart: number;
  size: number;
  tailLevel: number;
  generation: number;
}

/**
 * A line index over a (growing) text log: byte offsets and levels of every line, built incrementally by
 * scanning appended bytes for `\n`. Reads and searches go to the file; no line text is kept in memory.
 * The last line counts even without a trailing newline (it is read again when the file grows).
 * Truncation and replacement (a new inode) reset the index and bump `generation`.
 */
export class LogIndex {
  readonly file: string;
  private table = new LineTable();
  /** Where the unfinished last line starts (= size when the file ends with a newline). */
  private tailStart = 0;
  private tailLevel = NO_LEVEL;
  private size = 0;
  private ino = -1;
  private dev = -1;
  private generation = 0;
  /** Complete lines per level code (index 0: no level). */
  private counts = new Float64Array(LOG_LEVELS.length + 1);
  private filters = new Map<number, Filter>();
  private lastSearch: SearchState | undefined;
  private refreshing: Promise<unknown> = Promise.resolve();
  /** While a progressive refresh runs: the file size it indexes up to. */
  private building: number | undefined;
  /** While building: where the indexed part ends (the start of the first line not indexed yet). */
  private scanned = 0;
  private waiters: (() => void)[] = [];
  private onBuildStart: (() => void) | undefined;
  private readonly chunkBytes: number;
  private readonly progressiveBytes: number;
  private readonly onChunk: (() => Promise<void> | void) | undefined;
  private readonly regexPool: RegexPool | undefined;

  private constructor(file: string, options: LogIndexOptions) {
    this.file = file;
    this.chunkBytes = Math.max(HEADER_BYTES, options.chunkBytes ?? CHUNK_BYTES);
    this.progressiveBytes = options.progressiveBytes ?? PROGRESSIVE_BYTES;
    this.onChunk = options.onChunk;
    this.regexPool = options.regexPool;
  }

  /**
   * Opens and indexes `file`; a missing file is an ExpmanError (LOG_MISSING) naming it. A large file
   * resolves as soon as its indexing has started: reads are answered meanwhile (see `read`), and
   * `indexed()` tells when the index is complete.
   */
  static async open(file: string, options: LogIndexOptions = {}): Promise<LogIndex> {
    const index = new LogIndex(file, options);
    const first = index.refresh();
    const started = new Promise<void>((resolve) => (index.onBuildStart = resolve));
    await Promise.race([first, started]);
    index.onBuildStart = undefined;
    return index;
  }

  /** Resolves once the index covers the whole file as last seen (no progressive build running). */
  async indexed(): Promise<void> {
    while (this.building !== undefined) await this.progress();
  }

  get totalLines(): number {
    return this.table.length + (this.size > this.tailStart ? 1 : 0);
  }

  /**
   * While a progressive build runs, `totalLines` is an estimate (lines indexed so far plus the bytes
   * left at their mean length), `levelCounts` count the indexed lines only and `complete` is false.
   */
  info(): LogInfo {
    if (this.building !== undefined) return this.estimatedInfo(this.estimatedTotal(0, 0));
    const levelCounts = Object.fromEntries(LOG_LEVELS.map((level) => [level, this.counts[codeOfLevel(level)]!])) as Record<LogLevel, number>;
    const tail = levelOfCode(this.tailLevel);
    if (this.size > this.tailStart && tail) levelCounts[tail]++;
    return {
      totalLines: this.totalLines,
      fileSize: this.size,
      generation: this.generation,
      complete: this.size === this.tailStart,
      levelCounts,
    };
  }

  /**
   * Indexes bytes appended since the last call; starts over when the file shrank or was replaced.
   * Calls are serialised. Resolves to whether anything changed.
   */
  refresh(): Promise<boolean> {
    const run = this.refreshing.then(() => this.refreshNow());
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  /** Polls the file every `intervalMs` and calls `listener` when it grew, shrank or was replaced. */
  follow(listener: (info: LogInfo) => void, { intervalMs = 250, onError }: { intervalMs?: number; onError?: (error: unknown) => void } = {}): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      // The end of a progressive build is news too: the line count stops being an estimate.
      const wasBuilding = this.building !== undefined;
      this.refresh()
        .then((changed) => (changed || wasBuilding) && listener(this.info()))
        .catch((error: unknown) => onError?.(error))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /**
   * Rows `from .. from+count` of the view filtered by `levels` (all lines without), with their text.
   * While a progressive build runs, an unfiltered read does not wait for it: a head read is answered
   * from the lines indexed so far (waiting only until they reach its rows), a tail read from the end of
   * the file, numbered from the estimated line count (`estimated`: true, `indexedLines` says which
   * line numbers are exact). Filtered reads wait for the whole index.
   */
  async read(request: LogReadRequest): Promise<LogWindow> {
    if (this.building !== undefined && !request.levels) {
      const early = request.tail ? await this.readTailEarly(request.count) : await this.readHeadEarly(request.from, request.count);
      if (early) return early;
    }
    await this.refresh();
    const snap = this.snapshot();
    const view = this.view(snap, request.levels);
    const wanted = Math.min(request.count, MAX_LOG_READ_LINES);
    const from = request.tail ? Math.max(0, view.total - wanted) : Math.min(request.from, view.total);
    const count = Math.min(wanted, view.total - from);
    const numbers: number[] = [];
    for (let row = from; row < from + count; row++) numbers.push(view.lineAt(row));
    const texts = await this.readTexts(snap, numbers);
    const lines = numbers.map((n, i) => lineOf(n, texts[i]!, levelCode(snap, n)));
    return { ...this.info(), from, lines, totalRows: view.total };
  }

  /**
   * Line numbers (and rows of the level-filtered view) of the lines matching `request`, streaming over
   * the file chunk by chunk. Repeating the same search after the file grew scans only the new lines.
   * A regex runs in a worker thread with a time budget per chunk (see regex-pool.ts): a pattern that
   * overruns it is a LOG_PATTERN error ("pattern too slow"), and the server's thread is never blocked.
   */
  async search(request: LogSearchRequest): Promise<LogSearchResult> {
    const problem = logPatternProblem(request);
    if (problem) throw new ExpmanError('LOG_PATTERN', `${this.file}: ${problem}`, { file: this.file, pattern: request.pattern });
    const pattern = compileLogPattern(request);
    const regex = new RegExp(pattern.source, pattern.flags.replace('g', ''));
    /** Which of `lines` (indices into text's `\n`-separated pieces) match; the text holds lines first..last (0-based). */
    const matchLines = async (text: string, lines: number[], first: number, last: number): Promise<number[]> => {
      if (!request.regex) {
        // An escaped literal cannot backtrack: matching it here is linear and saves a round trip.
        const pieces = text.split('\n');
        return lines.filter((k) => regex.test(stripCr(pieces[k] ?? '')));
      }
      try {
        return await (this.regexPool ?? sharedRegexPool()).match(regex, text, lines);
      } catch (error) {
        if (!(error instanceof RegexTimeoutError)) throw error;
        const where = first === last ? `line ${first + 1}` : `lines ${first + 1}–${last + 1}`;
        throw new ExpmanError(
          'LOG_PATTERN',
          `pattern too slow: /${request.pattern}/ took more than ${error.budgetMs / 1000} s on ${where} of ${this.file}; avoid nested or overlapping repetition such as (a|a)* or (a+)+`,
          { file: this.file, pattern: request.pattern, reason: 'timeout', budgetMs: error.budgetMs },
        );
      }
    };
    await this.refresh();
    const snap = this.snapshot();
    const mask = maskOf(request.levels);
    const key = JSON.stringify([request.pattern, request.regex, request.caseSensitive, mask]);
    const previous = this.lastSearch?.key === key && this.lastSearch.table === snap.table ? this.lastSearch : undefined;
    const state: SearchState = previous
      ? { ...previous, matches: previous.matches.slice() }
      : { key, table: snap.table, scanned: 0, matches: [], truncated: false };
    const accepts = (n: number): boolean => mask === NO_FILTER || (mask & (1 << levelCode(snap, n))) !== 0;

    const handle = await this.openFile();
    try {
      let i = state.scanned;
      while (i < snap.complete && !state.truncated) {
        const start = snap.table.starts[i]!;
        let j = i + 1;
        while (j < snap.complete && lineStart(snap, j + 1) - start <= CHUNK_BYTES) j++;
        const bytes = Math.min(lineStart(snap, j) - start, j === i + 1 ? Math.max(CHUNK_BYTES, MAX_LINE_BYTES) : Infinity);
        const text = (await readAt(handle, start, bytes)).toString('utf8');
        const candidates: number[] = [];
        for (let k = i; k < j; k++) if (accepts(k)) candidates.push(k - i);
        for (const local of await matchLines(text, candidates, i, j - 1)) {
          if (state.matches.length === MAX_LOG_MATCHES) {
            state.truncated = true;
            break;
          }
          state.matches.push(i + local);
        }
        i = j;
      }
      if (!state.truncated) state.scanned = snap.complete;
      this.lastSearch = state;

      const matches = state.matches.slice();
      let truncated = state.truncated;
      const hasTail = snap.size > snap.tailStart;
      if (hasTail && !truncated && accepts(snap.complete)) {
        const [tail] = await this.readTexts(snap, [snap.complete], handle);
        if ((await matchLines(tail!, [0], snap.complete, snap.complete)).length > 0) {
          if (matches.length === MAX_LOG_MATCHES) truncated = true;
          else matches.push(snap.complete);
        }
      }
      let rows = matches;
      if (mask !== NO_FILTER) {
        const filter = this.filterRows(snap.table, snap.complete, mask);
        rows = matches.map((n) => filter.lowerBound(n)); // the tail's row: after every complete line that passes
      }
      return { matches, rows, truncated, searchedLines: snap.complete + (hasTail ? 1 : 0), generation: snap.generation };
    } finally {
      await handle.close();
    }
  }

  /** Rows [from, from+count) while building, once indexed; undefined when the build ended meanwhile. */
  private async readHeadEarly(from: number, count: number): Promise<LogWindow | undefined> {
    const wanted = Math.min(count, MAX_LOG_READ_LINES);
    while (this.building !== undefined && this.table.length < from + wanted) await this.progress();
    if (this.building === undefined) return undefined;
    const snap: Snapshot = { table: this.table, complete: this.table.length, tailStart: this.scanned, size: this.scanned, tailLevel: NO_LEVEL, generation: this.generation };
    const info = this.estimatedInfo(Math.max(this.estimatedTotal(0, 0), from + wanted), snap.complete);
    const numbers = Array.from({ length: wanted }, (_, i) => from + i);
    const texts = await this.readTexts(snap, numbers);
    const lines = numbers.map((n, i) => lineOf(n, texts[i]!, snap.table.levels[n]!));
    return { ...info, from, lines, totalRows: info.totalLines };
  }

  /**
   * The last `count` lines while building, read backwards from the end of the file until they and the
   * header their entry started with are in the buffer. Undefined when that reaches the indexed part
   * (the build is nearly done then: the caller waits for it).
   */
  private async readTailEarly(count: number): Promise<LogWindow | undefined> {
    const size = this.building!;
    const wanted = Math.min(count, MAX_LOG_READ_LINES);
    const handle = await this.openFile();
    try {
      for (let span = TAIL_SCAN_BYTES; span <= MAX_TAIL_SCAN_BYTES; span *= 2) {
        const bufStart = size - span;
        if (bufStart <= this.scanned) return undefined;
        const buf = await readAt(handle, bufStart, span);
        // The file shrank (the build's end will tell), or the build reached these bytes meanwhile.
        if (buf.length < span || this.building !== size || bufStart <= this.scanned) return undefined;
        // Line starts after the first newline: the bytes before it end a line that starts further back.
        const starts: number[] = [];
        for (let nl = buf.indexOf(0x0a); nl !== -1 && nl + 1 < buf.length; nl = buf.indexOf(0x0a, nl + 1)) starts.push(nl + 1);
        const first = Math.max(0, starts.length - wanted);
        const codes = starts.map((start, i) => parseLevelCode(buf, start, i + 1 < starts.length ? starts[i + 1]! : buf.length));
        const headed = codes.slice(0, first + 1).some((code) => code !== NO_LEVEL);
        if ((starts.length <= wanted || !headed) && span < MAX_TAIL_SCAN_BYTES) continue;
        let level = NO_LEVEL;
        for (let i = 0; i < first; i++) level = codes[i] || level;
        const terminated = buf[buf.length - 1] === 0x0a;
        const total = this.estimatedTotal(starts.length, span - starts[0]!);
        const lines: LogLine[] = [];
        for (let i = first; i < starts.length; i++) {
          level = codes[i] || level;
          const end = i + 1 < starts.length ? starts[i + 1]! : buf.length;
          const n = total - (starts.length - i);
          lines.push(lineOf(n, lineText(buf, starts[i]!, end, i + 1 < starts.length || terminated), level));
        }
        const info = { ...this.estimatedInfo(total), complete: terminated };
        return { ...info, from: total - lines.length, lines, totalRows: total };
      }
      return undefined;
    } finally {
      await handle.close();
    }
  }

  /** Lines while building: the indexed ones, the bytes left at their mean length, and `tailLines`
   * whole lines counted in the last `tailBytes` bytes of the file. */
  private estimatedTotal(tailLines: number, tailBytes: number): number {
    const lines = this.table.length;
    const perLine = lines > 0 && this.scanned > 0 ? this.scanned / lines : tailLines > 0 ? tailBytes / tailLines : 100;
    const rest = Math.max(0, this.building! - tailBytes - this.scanned);
    return lines + Math.ceil(rest / perLine) + tailLines;
  }

  private estimatedInfo(totalLines: number, indexedLines = this.table.length): LogInfo {
    const levelCounts = Object.fromEntries(LOG_LEVELS.map((level) => [level, this.counts[codeOfLevel(level)]!])) as Record<LogLevel, number>;
    return { totalLines, fileSize: this.building!, generation: this.generation, complete: false, levelCounts, estimated: true, indexedLines };
  }

  /** Resolves at the next indexing step (or the end of a build). */
  private progress(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private snapshot(): Snapshot {
    return {
      table: this.table,
      complete: this.table.length,
      tailStart: this.tailStart,
      size: this.size,
      tailLevel: this.tailLevel,
      generation: this.generation,
    };
  }

  private view(snap: Snapshot, levels: readonly LogLevel[] | undefined): { total: number; lineAt: (row: number) => number } {
    const hasTail = snap.size > snap.tailStart;
    const mask = maskOf(levels);
    if (mask === NO_FILTER) return { total: snap.complete + (hasTail ? 1 : 0), lineAt: (row) => row };
    const rows = this.filterRows(snap.table, snap.complete, mask);
    const count = Math.min(rows.length, rows.lowerBound(snap.complete));
    const tailIn = hasTail && (mask & (1 << snap.tailLevel)) !== 0;
    return { total: count + (tailIn ? 1 : 0), lineAt: (row) => (row < count ? rows.values[row]! : snap.complete) };
  }

  /** The row → line map of a level filter over complete lines, extended to the lines indexed since. */
  private filterRows(table: LineTable, complete: number, mask: number): UintList {
    let filter = table === this.table ? this.filters.get(mask) : undefined;
    if (!filter) {
      filter = { rows: new UintList(), scanned: 0 };
      if (table === this.table) {
        if (this.filters.size >= MAX_FILTERS) this.filters.delete(this.filters.keys().next().value!);
        this.filters.set(mask, filter);
      }
    }
    const levels = table.levels;
    for (let i = filter.scanned; i < complete; i++) if ((mask & (1 << levels[i]!)) !== 0) filter.rows.push(i);
    filter.scanned = Math.max(filter.scanned, complete);
    return filter.rows;
  }

  /** The text of the given lines (ascending), without line endings, each clipped to MAX_LINE_BYTES. */
  private async readTexts(snap: Snapshot, numbers: readonly number[], open?: FileHandle): Promise<string[]> {
    if (numbers.length === 0) return [];
    const handle = open ?? (await this.openFile());
    try {
      const spanStart = lineStart(snap, numbers[0]!);
      const spanEnd = lineEnd(snap, numbers[numbers.length - 1]!);
      if (spanEnd - spanStart <= SPAN_READ_BYTES) {
        const buf = await readAt(handle, spanStart, spanEnd - spanStart);
        return numbers.map((n) => lineText(buf, lineStart(snap, n) - spanStart, lineEnd(snap, n) - spanStart, n < snap.complete));
      }
      const texts: string[] = [];
      for (const n of numbers) {
        const start = lineStart(snap, n);
        const end = lineEnd(snap, n);
        const buf = await readAt(handle, start, Math.min(end - start, MAX_LINE_BYTES));
        texts.push(lineText(buf, 0, end - start, n < snap.complete));
      }
      return texts;
    } finally {
      if (!open) await handle.close();
    }
  }

  private async openFile(): Promise<FileHandle> {
    try {
      return await fs.open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ExpmanError('LOG_MISSING', `${this.file}: log file not found`, { file: this.file });
      }
      throw error;
    }
  }

  private async refreshNow(): Promise<boolean> {
    const handle = await this.openFile();
    try {
      const stat = await handle.stat();
      let changed = false;
      if ((this.ino !== -1 && (stat.ino !== this.ino || stat.dev !== this.dev)) || stat.size < this.size) {
        this.reset();
        changed = true;
      }
      this.ino = stat.ino;
      this.dev = stat.dev;
      if (stat.size > this.size) {
        const progressive = stat.size - this.tailStart > this.progressiveBytes;
        if (progressive) {
          this.building = stat.size;
          this.scanned = this.tailStart;
          this.onBuildStart?.();
        }
        try {
          await this.indexBytes(handle, stat.size);
        } finally {
          this.building = undefined;
          this.notify();
        }
        changed = true;
      }
      return changed;
    } finally {
      await handle.close();
    }
  }

  private reset(): void {
    this.table = new LineTable();
    this.tailStart = 0;
    this.tailLevel = NO_LEVEL;
    this.size = 0;
    this.counts.fill(0);
    this.filters.clear();
    this.lastSearch = undefined;
    this.generation++;
  }

  /** Scans from the start of the unfinished last line to `size`, recording every line that ends. */
  private async indexBytes(handle: FileHandle, size: number): Promise<void> {
    const table = this.table;
    const buf = Buffer.allocUnsafe(Math.min(this.chunkBytes, Math.max(HEADER_BYTES, size - this.tailStart)));
    let readPos = this.tailStart;
    let lineStartPos = this.tailStart;
    /** The level of the line starting at lineStartPos, once its header has been seen. */
    let lineLevel: number | undefined;
    let previous = table.length ? table.levels[table.length - 1]! : NO_LEVEL;
    while (readPos < size) {
      const want = Math.min(buf.length, size - readPos);
      const { bytesRead } = await handle.read(buf, 0, want, readPos);
      // The file shrank while we read: index what is there; the next refresh sees the smaller size.
      if (bytesRead < want) size = readPos + bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      let pos = 0;
      // The hot loop: one memchr per line, columns written in place (a method call per line costs more).
      let { starts, levels, length } = table;
      const counts = this.counts;
      for (let nl = chunk.indexOf(0x0a, 0); nl !== -1; nl = chunk.indexOf(0x0a, pos)) {
        const level = lineLevel ?? (parseLevelCode(chunk, pos, nl) || previous);
        if (length === starts.length) {
          table.length = length;
          table.grow(length * 2);
          ({ starts, levels } = table);
        }
        starts[length] = lineStartPos;
        levels[length] = level;
        length++;
        counts[level]!++;
        previous = level;
        lineLevel = undefined;
        pos = nl + 1;
        lineStartPos = readPos + pos;
      }
      table.length = length;
      if (this.building !== undefined) {
        this.scanned = lineStartPos;
        this.notify();
        await this.onChunk?.();
      }
      if (pos < bytesRead && lineLevel === undefined) {
        if (bytesRead - pos < HEADER_BYTES && readPos + bytesRead < size) {
          // Too little of the next line to read its header: read again from its start.
          readPos = lineStartPos;
          continue;
        }
        lineLevel = parseLevelCode(chunk, pos, bytesRead) || previous;
      }
      readPos += bytesRead;
      if (bytesRead === 0) break;
    }
    this.tailStart = lineStartPos;
    this.tailLevel = lineStartPos < size ? (lineLevel ?? previous) : NO_LEVEL;
    this.size = size;
  }
}

function maskOf(levels: readonly LogLevel[] | undefined): number {
  if (levels === undefined) return NO_FILTER;
  let mask = 0;
  for (const level of levels) mask |= 1 << codeOfLevel(level);
  return mask;
}

function lineOf(n: number, text: string, code: number): LogLine {
  const level = levelOfCode(code);
  return level ? { n, text, level } : { n, text };
}

function levelCode(snap: Snapshot, n: number): number {
  return n < snap.complete ? snap.table.levels[n]! : snap.tailLevel;
}

/** Byte offset where line `n` starts (n = complete: the unfinished tail; past it: the end). */
function lineStart(snap: Snapshot, n: number): number {
  if (n < snap.complete) return snap.table.starts[n]!;
  return n === snap.complete ? snap.tailStart : snap.size;
}

/** Byte offset just past line `n`, newline included. */
function lineEnd(snap: Snapshot, n: number): number {
  return n + 1 < snap.complete ? snap.table.starts[n + 1]! : n + 1 === snap.complete ? snap.tailStart : snap.size;
}

/** `terminated`: the line ends with a newline (every line but an unfinished last one). */
function lineText(buf: Buffer, start: number, end: number, terminated: boolean): string {
  const length = end - start - (terminated ? 1 : 0);
  let stop = Math.min(end, start + MAX_LINE_BYTES, buf.length);
  if (stop === end && buf[stop - 1] === 0x0a) stop--;
  if (stop > start && buf[stop - 1] === 0x0d) stop--;
  const text = buf.toString('utf8', start, stop);
  return length > MAX_LINE_BYTES ? `${text} … [line clipped: ${length.toLocaleString('en-US')} bytes]` : text;
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buf : buf.subarray(0, filled);
}
