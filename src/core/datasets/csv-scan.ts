import { ExpmanError } from '../errors.js';

/**
 * A single-pass scanner for numeric CSV files with a few categorical columns (the label, the `set`
 * column). It validates every row (column count, numbers), records row boundaries so rows can be copied
 * out without re-encoding, maps categorical values to ids and collects per-column statistics. It works
 * on bytes: a 1,000,000-row file scans in well under a second, where a DataFrame library takes tens.
 *
 * Supported: comma separator, header line, LF or CRLF line endings, blank lines (skipped, as pandas
 * does). Quoted fields are not supported and are reported as errors rather than misread.
 */
export interface NumericStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
}

export interface CsvScan {
  header: string[];
  rows: number;
  /** Byte offset where each data row starts, and where it ends (exclusive, without CR/LF). */
  rowStart: Uint32Array;
  rowEnd: Uint32Array;
  /** For each categorical column (by name): per-row ids and the distinct values, in order of first appearance. */
  categories: Map<string, { ids: Uint32Array; values: string[] }>;
  /** Per numeric column, by name. */
  stats: Map<string, NumericStats>;
  /** Row-major numeric values (numeric columns only, header order), when `collectValues` is set. */
  values?: Float32Array;
  numericColumns: string[];
}

export interface ScanOptions {
  file: string;
  categorical: readonly string[];
  collectValues?: boolean;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

function csvError(file: string, line: number, column: number | undefined, message: string, key?: string): ExpmanError {
  const where = column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
  return new ExpmanError('CSV_INVALID', `${where}: ${message}`, { file, line, column, key });
}

/**
 * Parses a decimal number in buf[start, end) (sign, digits, fraction, exponent). Returns NaN when the
 * text is not a number. Exact for up to 15 significant digits, like the fast path of strtod.
 */
export function parseNumber(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
    negative = buf[i] === 0x2d;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  while (i < end) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) break;
    if (significant < 17) {
      mantissa = mantissa * 10 + d;
      if (mantissa > 0) significant++;
    } else scale++;
    digits++;
    i++;
  }
  if (i < end && buf[i] === 0x2e) {
    i++;
    while (i < end) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) break;
      if (significant < 17) {
        mantissa = mantissa * 10 + d;
        if (mantissa > 0) significant++;
        scale--;
      }
      digits++;
      i++;
    }
  }
  if (digits === 0) return NaN;
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      expNegative = buf[i] === 0x2d;
      i++;
    }
    let exp = 0;
    let expDigits = 0;
    while (i < end) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) break;
      exp = exp * 10 + d;
      expDigits++;
      i++;
    }
    if (expDigits === 0) return NaN;
    scale += expNegative ? -exp : exp;
  }
  if (i !== end) return NaN;
  let value: number;
  if (significant > 15 || scale < -22 || scale > 22) {
    value = Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
    return value;
  }
  value = scale < 0 ? mantissa / POW10[-scale]! : mantissa * POW10[scale]!;
  return negative ? -value : value;
}

function splitHeader(text: string): string[] {
  return text.split(',').map((name) => name.trim());
}

export function scanCsv(buf: Buffer, options: ScanOptions): CsvScan {
  const { file } = options;
  const total = buf.length;
  let pos = 0;
  // Skip a UTF-8 byte order mark, which some spreadsheet exports write.
  if (total >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) pos = 3;
  // Skip leading blank lines before the header.
  while (pos < total && (buf[pos] === LF || buf[pos] === CR)) pos++;
  if (pos >= total) throw csvError(file, 1, undefined, 'file is empty (expected a header line and data rows)');

  let lineNo = 1 + countNewlines(buf, 0, pos);
  let headerEnd = buf.indexOf(LF, pos);
  if (headerEnd < 0) headerEnd = total;
  const headerText = buf.toString('utf8', pos, headerEnd > pos && buf[headerEnd - 1] === CR ? headerEnd - 1 : headerEnd);
  checkUtf8(buf, pos, headerEnd, file, lineNo, undefined, 'the header');
  if (headerText.includes('"')) throw csvError(file, lineNo, undefined, 'quoted fields are not supported in the header');
  const header = splitHeader(headerText);
  const ncol = header.length;
  const seen = new Set<string>();
  header.forEach((name, index) => {
    if (!name) throw csvError(file, lineNo, index + 1, `column ${index + 1} has an empty name`);
    if (seen.has(name)) throw csvError(file, lineNo, index + 1, `duplicate column name ${JSON.stringify(name)}`);
    seen.add(name);
  });
  for (const name of options.categorical) {
    if (!seen.has(name)) throw csvError(file, lineNo, undefined, `missing column ${JSON.stringify(name)} (columns: ${header.join(', ')})`, name);
  }
  const isCategorical = header.map((name) => options.categorical.includes(name));
  const numericColumns = header.filter((_, i) => !isCategorical[i]);
  const numericIndex: number[] = [];
  let numericSeen = 0;
  for (let i = 0; i < ncol; i++) numericIndex.push(isCategorical[i] ? -1 : numericSeen++);
  const nnum = numericColumns.length;

  // Upper bound on rows: newlines after the header + 1.
  let capacity = countNewlines(buf, headerEnd, total) + 1;
  const rowStart = new Uint32Array(capacity);
  const rowEnd = new Uint32Array(capacity);
  const categoryIds = options.categorical.map(() => new Uint32Array(capacity));
  const categoryValues = options.categorical.map(() => [] as string[]);
  const categoryMaps = options.categorical.map(() => new Map<string, number>());
  const categoricalSlot = header.map((name) => options.categorical.indexOf(name));
  const values = options.collectValues ? new Float32Array(capacity * nnum) : undefined;
  const sum = new Float64Array(nnum);
  const sumSq = new Float64Array(nnum);
  const min = new Float64Array(nnum).fill(Infinity);
  const max = new Float64Array(nnum).fill(-Infinity);
  // Running shift (first value) keeps the variance sum numerically stable.
  const shift = new Float64Array(nnum);
  let rows = 0;
  let nextProgress = 1 << 22;

  pos = headerEnd + 1;
  lineNo++;
  while (pos < total) {
    let end = buf.indexOf(LF, pos);
    if (end < 0) end = total;
    const next = end + 1;
    if (end > pos && buf[end - 1] === CR) end--;
    if (end === pos) {
      pos = next;
      lineNo++;
      continue;
    }
    rowStart[rows] = pos;
    rowEnd[rows] = end;
    let col = 0;
    let fieldStart = pos;
    for (let i = pos; i <= end; i++) {
      const c = i < end ? buf[i] : COMMA;
      if (c === QUOTE) throw quotedField(file, lineNo, col, header);
      if (c !== COMMA) continue;
      if (col >= ncol) checkColumnCount(buf, pos, end, ncol, file, lineNo, header);
      const slot = categoricalSlot[col]!;
      if (slot >= 0) {
        const text = buf.toString('utf8', fieldStart, i).trim();
        // Invalid bytes decode to U+FFFD: a class named after the replacement character, silently.
        if (text.includes('\uFFFD')) checkUtf8(buf, fieldStart, i, file, lineNo, col + 1, `column ${JSON.stringify(header[col])}`);
        if (!text) {
          checkColumnCount(buf, pos, end, ncol, file, lineNo, header);
          throw csvError(file, lineNo, col + 1, `empty value in column ${JSON.stringify(header[col])}`, header[col]);
        }
        const map = categoryMaps[slot]!;
        let id = map.get(text);
        if (id === undefined) {
          id = categoryValues[slot]!.length;
          categoryValues[slot]!.push(text);
          map.set(text, id);
        }
        categoryIds[slot]![rows] = id;
      } else {
        let a = fieldStart;
        let b = i;
        while (a < b && buf[a] === 0x20) a++;
        while (b > a && buf[b - 1] === 0x20) b--;
        const value = parseNumber(buf, a, b);
        if (!Number.isFinite(value)) {
          checkColumnCount(buf, pos, end, ncol, file, lineNo, header);
          const text = buf.toString('utf8', fieldStart, i);
          throw csvError(
            file,
            lineNo,
            col + 1,
            text.trim() ? `column ${JSON.stringify(header[col])}: ${JSON.stringify(text)} is not a number` : `empty value in column ${JSON.stringify(header[col])}`,
            header[col],
          );
        }
        const k = numericIndex[col]!;
        if (rows === 0) shift[k] = value;
        const d = value - shift[k]!;
        sum[k] = sum[k]! + d;
        sumSq[k] = sumSq[k]! + d * d;
        if (value < min[k]!) min[k] = value;
        if (value > max[k]!) max[k] = value;
        if (values) values[rows * nnum + k] = value;
      }
      col++;
      fieldStart = i + 1;
    }
    if (col !== ncol) checkColumnCount(buf, pos, end, ncol, file, lineNo, header);
    rows++;
    lineNo++;
    pos = next;
    if (options.onProgress && pos >= nextProgress) {
      options.onProgress(pos, total);
      nextProgress = pos + (1 << 22);
    }
  }
  if (rows === 0) throw csvError(file, lineNo, undefined, 'no data rows after the header');
  options.onProgress?.(total, total);
  capacity = rows;

  const stats = new Map<string, NumericStats>();
  numericColumns.forEach((name, k) => {
    const mean = shift[k]! + sum[k]! / rows;
    const variance = rows > 1 ? Math.max(0, (sumSq[k]! - (sum[k]! * sum[k]!) / rows) / (rows - 1)) : 0;
    stats.set(name, { count: rows, min: min[k]!, max: max[k]!, mean, std: Math.sqrt(variance) });
  });
  const categories = new Map<string, { ids: Uint32Array; values: string[] }>();
  options.categorical.forEach((name, slot) => {
    categories.set(name, { ids: categoryIds[slot]!.subarray(0, rows), values: categoryValues[slot]! });
  });
  return {
    header,
    rows,
    rowStart: rowStart.subarray(0, rows),
    rowEnd: rowEnd.subarray(0, rows),
    categories,
    stats,
    values: values?.subarray(0, rows * nnum),
    numericColumns,
  };
}

function quotedField(file: string, line: number, col: number, header: string[]): ExpmanError {
  return csvError(
    file,
    line,
    col + 1,
    `quoted fields are not supported (column ${JSON.stringify(header[col] ?? `#${col + 1}`)}); remove the quotes, and any commas inside them`,
    header[col],
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Refuses bytes that are not UTF-8 (a file saved as Latin-1, a corrupt byte); a real U+FFFD passes. */
function checkUtf8(buf: Buffer, start: number, end: number, file: string, line: number, column: number | undefined, what: string): void {
  try {
    utf8.decode(buf.subarray(start, end));
  } catch {
    throw csvError(file, line, column, `${what} is not valid UTF-8 (save the file as UTF-8)`);
  }
}

/**
 * Called only on the error path: a row with the wrong number of fields is reported as such, rather than
 * as whatever field happened to be misplaced. A quote explains a wrong count (a comma inside a quoted
 * field), so it is reported first, at its column.
 */
function checkColumnCount(buf: Buffer, start: number, end: number, ncol: number, file: string, line: number, header: string[]): void {
  let fields = 1;
  for (let i = start; i < end; i++) {
    if (buf[i] === QUOTE) throw quotedField(file, line, fields - 1, header);
    if (buf[i] === COMMA) fields++;
  }
  if (fields !== ncol) throw csvError(file, line, undefined, `expected ${ncol} columns (${header.join(', ')}), found ${fields}`);
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let count = 0;
  let i = buf.indexOf(LF, from);
  while (i >= 0 && i < to) {
    count++;
    i = buf.indexOf(LF, i + 1);
  }
  return count;
}
