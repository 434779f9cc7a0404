import { promises as fs } from 'node:fs';

/**
 * Line-level access to CSV files too large to read whole: a chunked line iterator, a sparse row index
 * (byte offset of every ROW_STRIDE-th data row) so any page is one seek away, and a cell splitter for
 * the preview. Blank lines are skipped, as pandas and the scanner in csv-scan.ts do, so row numbers
 * agree with theirs.
 */

const CHUNK = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;

/** Data rows between two index entries: 1,000,000 rows cost 1,000 numbers of memory. */
export const ROW_STRIDE = 1000;

/**
 * Calls `visit` with each non-blank line (without CR/LF) and its byte offset, from byte `from` on. The
 * buffer is only valid during the call. Returning false stops the walk.
 */
export async function forEachLine(file: string, from: number, visit: (line: Buffer, start: number) => boolean | void): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    let readAt = from;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, readAt);
      const eof = bytesRead === 0;
      const base = readAt - carry.length;
      readAt += bytesRead;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      while (start < buf.length) {
        let lf = buf.indexOf(LF, start);
        if (lf < 0) {
          if (!eof) break;
          lf = buf.length;
        }
        const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
        if (end > start && visit(buf.subarray(start, end), base + start) === false) return;
        start = lf + 1;
      }
      if (eof) return;
      // Copy: `chunk` is reused by the next read.
      carry = Buffer.from(buf.subarray(start));
    }
  } finally {
    await handle.close();
  }
}

export function decodeLine(line: Buffer): string {
  const bom = line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf;
  return line.toString('utf8', bom ? 3 : 0);
}

/**
 * Splits one CSV line into trimmed fields. Double-quoted fields (with "" escapes) are understood so a
 * preview shows what a spreadsheet would; fields spanning lines are not (preprocess rejects quotes anyway).
 */
export function splitCsvLine(text: string): string[] {
  if (!text.includes('"')) return text.split(',').map((field) => field.trim());
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as the preview shows it: a number when the text is a plain decimal number, else the text. */
/**
 * A whole small CSV text (the results `expman test` writes: metrics, per-class, confusion matrix) as its
 * header and rows, read with the same field rules as the dataset files (quotes, a UTF-8 BOM, CRLF), so a
 * class label with a comma or quote reads back as it was written.
 */
export function parseCsvText(text: string): { header: string[]; rows: string[][] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((line) => line.length > 0);
  const [head, ...rest] = lines;
  return { header: head ? splitCsvLine(head) : [], rows: rest.map(splitCsvLine) };
}

export function toCell(text: string): string | number {
  return NUMBER.test(text) ? Number(text) : text;
}

export function isNumberText(text: string): boolean {
  return NUMBER.test(text);
}

export interface RowIndex {
  header: string[];
  /** First data row's fields (for guessing column types without another read), or null when there is none. */
  firstRow: string[] | null;
  total: number;
  /** offsets[k] is the byte offset of data row k * ROW_STRIDE. */
  offsets: number[];
}

interface CachedIndex {
  size: number;
  mtimeMs: number;
  index: RowIndex;
}

// Keyed by path and checked against size and mtime, so an edited file is indexed again. A handful of
// entries covers the files one person browses; the oldest is dropped first.
const cache = new Map<string, CachedIndex>();
const CACHE_ENTRIES = 16;

/**
 * Counts the data rows and records every ROW_STRIDE-th row's offset. Unlike forEachLine it makes no
 * per-line objects, only native indexOf calls: 1,000,000 rows take tens of milliseconds. Blank-line
 * rules are forEachLine's (a line is blank when it is empty or a lone CR).
 */
async function countRows(file: string): Promise<{ total: number; offsets: number[] }> {
  const handle = await fs.open(file, 'r');
  const offsets: number[] = [];
  let total = -1; // the first non-blank line is the header
  let lineStart = 0;
  let lastByte = -1;
  let pos = 0;
  const take = (start: number, length: number, before: number): void => {
    if (length > 1 || (length === 1 && before !== CR)) {
      if (total >= 0 && total % ROW_STRIDE === 0) offsets.push(start);
      total++;
    }
  };
  try {
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      let i = 0;
      for (;;) {
        const lf = chunk.indexOf(LF, i);
        if (lf < 0 || lf >= bytesRead) break;
        take(lineStart, pos + lf - lineStart, lf > 0 ? chunk[lf - 1]! : lastByte);
        lineStart = pos + lf + 1;
        i = lf + 1;
      }
      lastByte = chunk[bytesRead - 1]!;
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
  take(lineStart, pos - lineStart, lastByte);
  return { total: Math.max(0, total), offsets };
}

/** One pass over the file that finds (not parses) rows; cached until the file changes. */
export async function rowIndex(file: string): Promise<RowIndex> {
  const stat = await fs.stat(file);
  const hit = cache.get(file);
  if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit.index;
  const { total, offsets } = await countRows(file);
  const header = await readHeader(file);
  const firstRow = total > 0 ? ((await readRows(file, 0, 1))[0] ?? null) : null;
  const index: RowIndex = { header, firstRow, total, offsets };
  cache.delete(file);
  cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, index });
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return index;
}

/** Reads the header line only. */
export async function readHeader(file: string): Promise<string[]> {
  let header: string[] = [];
  await forEachLine(file, 0, (line) => {
    header = splitCsvLine(decodeLine(line));
    return false;
  });
  return header;
}

/**
 * Up to `limit` data rows starting at data row `offset`. With an index it seeks to the nearest indexed
 * row; without one it reads from the top, which is what page 1 of a file needs.
 */
export async function readRows(file: string, offset: number, limit: number, index?: RowIndex): Promise<string[][]> {
  const rows: string[][] = [];
  let from = 0;
  let skip = offset;
  let headerPending = true;
  if (index && offset >= ROW_STRIDE) {
    const k = Math.min(Math.floor(offset / ROW_STRIDE), index.offsets.length - 1);
    if (k >= 0) {
      from = index.offsets[k]!;
      skip = offset - k * ROW_STRIDE;
      headerPending = false;
    }
  }
  if (limit <= 0) return rows;
  await forEachLine(file, from, (line) => {
    if (headerPending) {
      headerPending = false;
      return true;
    }
    if (skip > 0) {
      skip--;
      return true;
    }
    rows.push(splitCsvLine(line.toString('utf8')));
    return rows.length < limit;
  });
  return rows;
}
