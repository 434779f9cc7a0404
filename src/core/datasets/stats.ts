import { stat } from 'node:fs/promises';
import type { ColumnDescribe, DatasetPart, DatasetStats, FeatureHistogram } from '../../shared/datasets.js';
import { DEFAULT_HISTOGRAM_BINS } from '../../shared/datasets.js';
import { ExpmanError } from '../errors.js';
import type { Workspace } from '../workspace.js';
import { parseNumber } from './csv-scan.js';
import { decodeLine, forEachLine, isNumberText, splitCsvLine } from './csv-lines.js';
import { datasetFile } from './browse.js';
import { datasetTask } from './dataset-info.js';

/**
 * describe(), class balance and histograms of one dataset file.
 *
 * Two engines give the same numbers. Small files go through danfojs `describe()` (the library the
 * issue names, and what researchers use in notebooks); it has no quartiles, so those come from the
 * streaming pass either way. Large files skip danfojs: it parses into JS objects and is about 20× slower
 * than pandas on 1,000,000 rows, and its first import costs ~1.5 s of tfjs start-up, while one
 * streaming pass over bytes (csv-lines.ts + parseNumber) handles 1,000,000 rows in well under a second
 * and never holds more than the numeric values.
 */

/** Files up to this size use danfojs for describe(); Iris is 4.5 kB. */
export const DANFO_MAX_BYTES = 1 << 20;

export interface StatsOptions {
  bins?: number;
  /** "auto" picks by file size (see DANFO_MAX_BYTES). */
  engine?: 'auto' | 'danfojs' | 'stream';
}

/** A growable Float64Array: values of one column, NaN where a cell is empty. */
class Column {
  values = new Float64Array(1024);
  numeric = true;
  push(row: number, value: number): void {
    if (row >= this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[row] = value;
  }
}

interface Pass {
  header: string[];
  rows: number;
  columns: Map<string, Float64Array>;
  label: string | null;
  /** Per row: index into classes, or -1 for an empty label. */
  labelIds: Int32Array;
  classes: string[];
}

/**
 * One pass over the file. A column is numeric when its first non-empty cell is a number and every later
 * non-empty cell is too (as pandas infers float64); empty cells are missing values, not zeros.
 */
async function streamPass(file: string, shown: string, labelColumn: string | null, knownClasses: readonly string[]): Promise<Pass> {
  let header: string[] | null = null;
  let columns: Column[] = [];
  let labelAt = -1;
  let labelIds = new Int32Array(1024);
  // Known classes (info.toml's order) come first, so a class keeps its colour in every file of a dataset.
  const classes: string[] = [...knownClasses];
  const classIds = new Map<string, number>(classes.map((value, i) => [value, i]));
  let known: boolean[] = [];
  let rows = 0;
  let error: ExpmanError | null = null;
  // Defined once, not per line: they read `rows` and the column state of this pass.
  const takeLabel = (value: string): void => {
    if (rows >= labelIds.length) {
      const grown = new Int32Array(labelIds.length * 2);
      grown.set(labelIds);
      labelIds = grown;
    }
    let id = value === '' ? -1 : classIds.get(value);
    if (id === undefined) {
      id = classes.length;
      classes.push(value);
      classIds.set(value, id);
    }
    labelIds[rows] = id;
  };
  // `value` is NaN for an empty cell and for text; `empty` tells them apart.
  const takeNumber = (col: number, value: number, empty: boolean): void => {
    const column = columns[col]!;
    if (!column.numeric) return;
    if (!empty && !Number.isFinite(value)) {
      column.numeric = false;
      return;
    }
    if (!empty) known[col] = true;
    column.push(rows, empty ? NaN : value);
  };
  await forEachLine(file, 0, (line) => {
    if (header === null) {
      header = splitCsvLine(decodeLine(line));
      columns = header.map(() => new Column());
      known = header.map(() => false);
      labelAt = labelColumn === null ? -1 : header.indexOf(labelColumn);
      return true;
    }
    const ncol = header.length;
    let found: number;
    if (line.includes(0x22)) {
      // Quoted fields are rare in numeric data; they take the slower text path.
      const fields = splitCsvLine(line.toString('utf8'));
      found = fields.length;
      if (found === ncol) {
        fields.forEach((text, col) => {
          if (col === labelAt) takeLabel(text);
          else takeNumber(col, isNumberText(text) ? Number(text) : NaN, NA_TEXT.has(text));
        });
      }
    } else {
      let col = 0;
      let fieldStart = 0;
      for (let i = 0; i <= line.length; i++) {
        if (i < line.length && line[i] !== 0x2c) continue;
        if (col < ncol) {
          if (col === labelAt) takeLabel(line.toString('utf8', fieldStart, i).trim());
          else {
            let a = fieldStart;
            let b = i;
            while (a < b && line[a] === 0x20) a++;
            while (b > a && line[b - 1] === 0x20) b--;
            const value = a === b ? NaN : parseNumber(line, a, b);
            // Only text that is not a number is looked up, so the common path stays on bytes.
            takeNumber(col, value, a === b || (Number.isNaN(value) && NA_TEXT.has(line.toString('utf8', a, b))));
          }
        }
        col++;
        fieldStart = i + 1;
      }
      found = col;
    }
    if (found !== ncol) {
      error = new ExpmanError('CSV_INVALID', `${shown}: data row ${rows + 1}: expected ${ncol} columns (${header.join(', ')}), found ${found}`, { file: shown, row: rows + 1 });
      return false;
    }
    rows++;
    return true;
  });
  // Assigned inside the callback, which TypeScript's narrowing cannot see.
  const failure = error as ExpmanError | null;
  if (failure) throw failure;
  if (header === null) throw new ExpmanError('CSV_INVALID', `${shown}: file is empty (expected a header line and data rows)`, { file: shown });
  const names: string[] = header;
  const numeric = new Map<string, Float64Array>();
  names.forEach((name, i) => {
    if (i !== labelAt && columns[i]!.numeric && known[i]) numeric.set(name, columns[i]!.values.subarray(0, rows));
  });
  return { header: names, rows, columns: numeric, label: labelAt >= 0 ? labelColumn : null, labelIds: labelIds.subarray(0, rows), classes };
}

/** Cells pandas' read_csv reads as missing (its default na_values), so counts agree with describe(). */
const NA_TEXT = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);

/** numpy's linear interpolation (pandas' default), including its rounding rule for t ≥ 0.5. */
function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = position - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function describeColumn(column: string, values: Float64Array): ColumnDescribe {
  // Index loops, not filter/for-of: this runs over every value of every column of large files.
  const sorted = new Float64Array(values.length);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) {
      sorted[n++] = v;
      sum += v;
    }
  }
  const present = sorted.subarray(0, n);
  const mean = n ? sum / n : NaN;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (present[i]! - mean) * (present[i]! - mean);
  present.sort();
  return {
    column,
    count: n,
    mean,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : NaN,
    min: n ? present[0]! : NaN,
    q25: n ? quantile(present, 0.25) : NaN,
    q50: n ? quantile(present, 0.5) : NaN,
    q75: n ? quantile(present, 0.75) : NaN,
    max: n ? present[n - 1]! : NaN,
  };
}

/** Evenly spaced bins over [min, max] (numpy.histogram's rule: the last bin is closed; min = max widens by ±0.5). */
export function histogram(column: string, values: Float64Array, bins: number, labelIds: Int32Array | null, classes: number): FeatureHistogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return { column, edges: [], counts: [], byClass: null };
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  const byClass = labelIds && classes > 0 ? Array.from({ length: classes }, () => new Array<number>(bins).fill(0)) : null;
  const scale = bins / (max - min);
  for (let row = 0; row < values.length; row++) {
    const v = values[row]!;
    if (v !== v) continue;
    const bin = Math.min(bins - 1, Math.floor((v - min) * scale));
    counts[bin]!++;
    const id = labelIds ? labelIds[row]! : -1;
    if (byClass && id >= 0) byClass[id]![bin]!++;
  }
  return { column, edges, counts, byClass };
}

interface DanfoDescribe {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

let danfo: Promise<typeof import('danfojs-node')> | undefined;

/**
 * Loads danfojs (and the tfjs it starts) once. Imported on first use only, since that costs seconds;
 * a long-lived process (the app's main process) can call this when idle so the first Statistics view
 * does not wait for it.
 */
export function warmUpDanfo(): Promise<unknown> {
  danfo ??= import('danfojs-node');
  return danfo;
}

/** danfojs readCSV + describe(). */
async function danfoDescribe(file: string, columns: string[]): Promise<Map<string, DanfoDescribe>> {
  const dfd = (await warmUpDanfo()) as typeof import('danfojs-node');
  const df = await dfd.readCSV(file);
  const numeric = df.columns.filter((c: string) => columns.includes(c));
  const table = df.loc({ columns: numeric }).describe();
  const rows = table.index as string[];
  const data = table.values as number[][];
  const at = (stat: string, i: number): number => data[rows.indexOf(stat)]![i]!;
  return new Map(numeric.map((c: string, i: number) => [c, { count: at('count', i), mean: at('mean', i), std: at('std', i), min: at('min', i), max: at('max', i) }]));
}

export async function datasetStats(ws: Workspace, name: string, part: DatasetPart, options: StatsOptions = {}): Promise<DatasetStats> {
  const started = performance.now();
  const bins = options.bins ?? DEFAULT_HISTOGRAM_BINS;
  if (!Number.isInteger(bins) || bins < 1 || bins > 200) throw new ExpmanError('USAGE', `bins must be an integer from 1 to 200, got ${bins}`, { key: 'bins' });
  const { file, info } = await datasetFile(ws, name, part);
  const shown = part === 'raw' ? `datasets/external/${name}.csv` : `datasets/${name}/${file.split(/[\\/]/).pop()}`;
  // A regression target is a number to describe and histogram like a feature, not a set of classes.
  let label = info && datasetTask(info) === 'regression' ? null : (info?.label.column ?? null);
  if (!info) {
    // A raw file: the label is what preprocess would take by default, the last column when it holds text.
    let firstRow: string[] | null = null;
    let header: string[] = [];
    await forEachLine(file, 0, (line) => {
      if (header.length === 0) {
        header = splitCsvLine(decodeLine(line));
        return true;
      }
      firstRow = splitCsvLine(line.toString('utf8'));
      return false;
    });
    const last = (firstRow as string[] | null)?.[header.length - 1];
    if (last !== undefined && last !== '' && !isNumberText(last)) label = header[header.length - 1]!;
  }
  const pass = await streamPass(file, shown, label, info?.label.classes ?? []);
  const engine = options.engine === 'danfojs' || (options.engine !== 'stream' && (await stat(file)).size <= DANFO_MAX_BYTES) ? 'danfojs' : 'stream';
  const fromDanfo = engine === 'danfojs' ? await danfoDescribe(file, [...pass.columns.keys()]) : null;
  const describe: ColumnDescribe[] = [];
  const histograms: FeatureHistogram[] = [];
  for (const [column, values] of pass.columns) {
    const d = describeColumn(column, values);
    const danfo = fromDanfo?.get(column);
    describe.push(danfo ? { ...d, count: danfo.count, mean: danfo.mean, std: danfo.std, min: danfo.min, max: danfo.max } : d);
    histograms.push(histogram(column, values, bins, pass.label ? pass.labelIds : null, pass.classes.length));
  }
  const counts = new Array<number>(pass.classes.length).fill(0);
  for (const id of pass.labelIds) if (id >= 0) counts[id]!++;
  return {
    name,
    part,
    rows: pass.rows,
    describe,
    label: pass.label,
    classBalance: pass.classes.map((value, i) => ({ label: value, count: counts[i]! })),
    histograms,
    engine,
    elapsedMs: Math.round(performance.now() - started),
  };
}
