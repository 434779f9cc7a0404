import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { SPLIT_SEED_MAX } from '../../shared/datasets.js';
import { ExpmanError } from '../errors.js';
import { writeDirAtomic } from '../fs/atomic.js';
import type { ProgressListener } from '../../shared/progress.js';
import { createRng, shuffleInPlace } from '../random.js';
import { toolVersion } from '../version.js';
import { checkName, ensureWritableDir, exists, paths, type Workspace } from '../workspace.js';
import { scanCsv, type CsvScan } from './csv-scan.js';
import { INFO_FILE, infoToToml, readDatasetInfo, type ColumnInfo, type DatasetInfo } from './dataset-info.js';
import { checkClasses, detectTask, numericValues, quantileBins, targetBins, targetStats, type Task } from './task.js';

export interface PreprocessOptions {
  /** Raw dataset under datasets/external (without .csv), default "iris". */
  dataset: string;
  /** Name of the prepared dataset folder. */
  name: string;
  /** Fraction of rows in the training set, 0 < split < 1. */
  split: number;
  /** Write train.csv and test.csv; otherwise one data.csv with a `set` column. */
  separateSets: boolean;
  seed: number;
  /** Label column; defaults to the last column. */
  label?: string;
  /** Overrides the task detected from the label (see detectTask). */
  task?: Task;
  /** Replace an existing prepared dataset whose content would differ. */
  force?: boolean;
  onProgress?: ProgressListener;
  /** Cancels the job: it stops at the next step and leaves nothing on disk (the temporary folder is removed). */
  signal?: AbortSignal;
}

export interface PreprocessResult {
  dir: string;
  info: DatasetInfo;
  /** True when an identical dataset was already there and nothing was written. */
  unchanged: boolean;
}

/** Throws ExpmanError CANCELLED once the signal has fired; called between steps. */
function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ExpmanError('CANCELLED', 'preprocess cancelled; nothing was written', { key: 'signal' });
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function validateSplit(split: number): number {
  if (!Number.isFinite(split) || split <= 0 || split >= 1) {
    throw new ExpmanError('USAGE', `--split must be a number between 0 and 1 (exclusive), got ${split}`, {
      key: 'split',
      expected: 'number > 0 and < 1',
    });
  }
  return split;
}

/**
 * The split's PRNG takes 32 bits: -1 or 1e99 would silently alias another seed while info.toml records
 * the number as typed. Only seeds that mean what they say are accepted.
 */
export function validateSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > SPLIT_SEED_MAX) {
    throw new ExpmanError('USAGE', `--seed must be a whole number from 0 to ${SPLIT_SEED_MAX}, got ${seed}`, {
      key: 'seed',
      expected: `integer ≥ 0 and ≤ ${SPLIT_SEED_MAX}`,
    });
  }
  return seed;
}

function firstLine(buf: Buffer): string {
  let start = 0;
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  while (start < buf.length && (buf[start] === 0x0a || buf[start] === 0x0d)) start++;
  let end = buf.indexOf(0x0a, start);
  if (end < 0) end = buf.length;
  return buf.toString('utf8', start, end).replace(/\r$/, '');
}

/** Stratified shuffle split: each class keeps its proportion in both sets; row order is shuffled. */
export function stratifiedSplit(labels: Uint32Array, classes: number, split: number, seed: number): { train: Uint32Array; test: Uint32Array } {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const rng = createRng(seed, 1);
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of byClass) {
    shuffleInPlace(rows, rng);
    let nTrain = Math.round(rows.length * split);
    if (rows.length >= 2) nTrain = Math.min(Math.max(nTrain, 1), rows.length - 1);
    for (let i = 0; i < rows.length; i++) (i < nTrain ? train : test).push(rows[i]!);
  }
  const order = createRng(seed, 2);
  return { train: shuffleInPlace(Uint32Array.from(train), order), test: shuffleInPlace(Uint32Array.from(test), order) };
}

/** Copies the selected rows (bytes as they were, LF line endings) under a header into one buffer. */
function assemble(src: Buffer, scan: CsvScan, header: string, sets: Array<{ rows: Uint32Array; suffix: string }>): Buffer {
  let size = Buffer.byteLength(header) + 1;
  for (const set of sets) {
    for (const r of set.rows) size += scan.rowEnd[r]! - scan.rowStart[r]! + set.suffix.length + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write(header);
  out[at++] = 0x0a;
  for (const set of sets) {
    const suffix = Buffer.from(set.suffix);
    for (const r of set.rows) {
      at += src.copy(out, at, scan.rowStart[r], scan.rowEnd[r]);
      if (suffix.length) at += suffix.copy(out, at);
      out[at++] = 0x0a;
    }
  }
  return out;
}

function balance(labels: Uint32Array, rows: Uint32Array, classes: string[]): Record<string, number> {
  const counts = new Array<number>(classes.length).fill(0);
  for (const r of rows) counts[labels[r]!]!++;
  return Object.fromEntries(classes.map((name, i) => [name, counts[i]!]));
}

/** 1-based line number of data row `row` in the file (blank lines count, as an editor shows them). */
function lineOf(raw: Buffer, scan: CsvScan, row: number): number {
  let line = 1;
  const end = scan.rowStart[row]!;
  for (let i = raw.indexOf(0x0a); i >= 0 && i < end; i = raw.indexOf(0x0a, i + 1)) line++;
  return line;
}

/** The label of every row as a number; a value that is not one is an error naming its line and column. */
function regressionTarget(raw: Buffer, scan: CsvScan, label: string, shown: string): Float64Array {
  const labels = scan.categories.get(label)!;
  const numbers = numericValues(labels.values);
  const target = new Float64Array(scan.rows);
  for (let r = 0; r < scan.rows; r++) {
    const value = numbers[labels.ids[r]!]!;
    if (!Number.isFinite(value)) {
      const line = lineOf(raw, scan, r);
      const column = scan.header.indexOf(label) + 1;
      throw new ExpmanError(
        'CSV_INVALID',
        `${shown}:${line}:${column}: regression label column ${JSON.stringify(label)} has a value that is not a number: ${JSON.stringify(labels.values[labels.ids[r]!])}`,
        { file: shown, line, column, key: label },
      );
    }
    target[r] = value;
  }
  return target;
}

export async function preprocess(ws: Workspace, options: PreprocessOptions): Promise<PreprocessResult> {
  checkName('dataset', options.dataset);
  checkName('prepared dataset', options.name);
  if (options.name === 'external') throw new ExpmanError('USAGE', '"external" is reserved for raw datasets; choose another --name', { key: 'name' });
  validateSplit(options.split);
  validateSeed(options.seed);
  const source = paths.externalCsv(ws, options.dataset);
  const shown = relative(ws.root, source);
  checkCancelled(options.signal);
  let raw: Buffer;
  try {
    raw = await fs.readFile(source, { signal: options.signal });
  } catch {
    checkCancelled(options.signal);
    let available: string[] = [];
    try {
      available = (await fs.readdir(paths.externalDir(ws))).filter((f) => f.endsWith('.csv')).map((f) => f.slice(0, -4));
    } catch {
      // no external folder
    }
    throw new ExpmanError(
      'DATASET_MISSING',
      `dataset ${JSON.stringify(options.dataset)} not found: no ${source}${available.length ? ` (available: ${available.join(', ')})` : ''}`,
      { file: source, key: 'dataset' },
    );
  }
  options.onProgress?.({ phase: 'reading', done: raw.length, total: raw.length, unit: 'bytes' });
  checkCancelled(options.signal);

  const header = firstLine(raw).split(',').map((c) => c.trim());
  const label = options.label ?? header[header.length - 1] ?? '';
  const scan = scanCsv(raw, {
    file: shown,
    categorical: [label],
    onProgress: (done, total) => options.onProgress?.({ phase: 'validating', done, total, unit: 'bytes' }),
  });
  if (scan.numericColumns.length === 0) throw new ExpmanError('CSV_INVALID', `${shown}: no numeric feature columns besides the label ${JSON.stringify(label)}`, { file: shown });
  const labels = scan.categories.get(label)!;
  const task = options.task ?? detectTask(labels.values);
  let classes: string[] = [];
  let target: Float64Array | null = null;
  let strata: { ids: Uint32Array; bins: number };
  if (task === 'regression') {
    target = regressionTarget(raw, scan, label, shown);
    strata = quantileBins(target, targetBins(scan.rows));
  } else {
    classes = labels.values;
    if (classes.length < 2) throw new ExpmanError('CSV_INVALID', `${shown}: label column ${JSON.stringify(label)} has only ${classes.length} class; need at least 2`, { file: shown, key: label });
    checkClasses(shown, label, classes, labels.ids);
    strata = { ids: labels.ids, bins: classes.length };
  }
  const { train, test } = stratifiedSplit(strata.ids, strata.bins, options.split, options.seed);
  if (train.length === 0 || test.length === 0) {
    throw new ExpmanError('USAGE', `--split=${options.split} leaves the ${train.length === 0 ? 'training' : 'test'} set empty for ${scan.rows} rows`, { key: 'split' });
  }
  options.onProgress?.({ phase: 'writing', done: 0, total: scan.rows, unit: 'rows' });
  checkCancelled(options.signal);

  const headerText = scan.header.join(',');
  const files: Array<{ name: string; data: Buffer; rows: number }> = options.separateSets
    ? [
        { name: 'train.csv', data: assemble(raw, scan, headerText, [{ rows: train, suffix: '' }]), rows: train.length },
        { name: 'test.csv', data: assemble(raw, scan, headerText, [{ rows: test, suffix: '' }]), rows: test.length },
      ]
    : [
        {
          name: 'data.csv',
          data: assemble(raw, scan, `${headerText},set`, [
            { rows: train, suffix: ',train' },
            { rows: test, suffix: ',test' },
          ]),
          rows: scan.rows,
        },
      ];

  const columns: ColumnInfo[] = scan.header.map((name) =>
    name === label ? { name, dtype: task === 'regression' ? 'float64' : 'object', role: 'label' } : { name, dtype: 'float64', role: 'feature', ...scan.stats.get(name)! },
  );
  if (!options.separateSets) columns.push({ name: 'set', dtype: 'object', role: 'set' });
  const pick = (rows: Uint32Array): number[] => Array.from(rows, (r) => target![r]!);
  const info: DatasetInfo = {
    task,
    dataset: {
      name: options.name,
      source: relative(ws.root, source).split('\\').join('/'),
      source_sha256: sha256(raw),
      created: new Date().toISOString(),
      tool_version: toolVersion(),
    },
    split: { train_fraction: options.split, separate_sets: options.separateSets, stratified: true, seed: options.seed },
    label: { column: label, classes },
    columns,
    rows: { total: scan.rows, train: train.length, test: test.length },
    class_balance: target ? { train: {}, test: {} } : { train: balance(labels.ids, train, classes), test: balance(labels.ids, test, classes) },
    ...(target ? { target: { train: targetStats(pick(train)), test: targetStats(pick(test)) } } : {}),
    files: Object.fromEntries(files.map((f) => [f.name, { rows: f.rows, bytes: f.data.length, sha256: sha256(f.data) }])),
  };

  const dir = paths.datasetDir(ws, options.name);
  if (await exists(join(dir, INFO_FILE))) {
    const previous = await readDatasetInfo(ws, options.name).catch(() => null);
    const same =
      previous !== null &&
      JSON.stringify(Object.keys(previous.files ?? {}).sort()) === JSON.stringify(Object.keys(info.files).sort()) &&
      Object.entries(info.files).every(([name, f]) => previous.files[name]?.sha256 === f.sha256);
    if (same) return { dir, info: previous, unchanged: true };
    if (!options.force) {
      throw new ExpmanError(
        'DATASET_EXISTS',
        `prepared dataset ${JSON.stringify(options.name)} already exists at ${dir} with different content; use --force to replace it or --name to choose another name`,
        { file: dir, key: 'name' },
      );
    }
  }
  checkCancelled(options.signal);
  await ensureWritableDir(paths.datasetsDir(ws));
  await writeDirAtomic(dir, async (tmp) => {
    let done = 0;
    for (const file of files) {
      try {
        await fs.writeFile(join(tmp, file.name), file.data, { signal: options.signal });
      } catch (error) {
        checkCancelled(options.signal);
        throw error;
      }
      done += file.rows;
      options.onProgress?.({ phase: 'writing', done, total: scan.rows, unit: 'rows' });
      checkCancelled(options.signal);
    }
    // Past this point the folder is renamed into place: the job completes even if cancelled now.
    await fs.writeFile(join(tmp, INFO_FILE), infoToToml(info));
  });
  options.onProgress?.({ phase: 'writing', done: scan.rows, total: scan.rows, unit: 'rows' });
  return { dir, info, unchanged: false };
}
