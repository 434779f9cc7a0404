import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import type { DatasetFileSummary, DatasetPage, DatasetPart, DatasetSummary } from '../../shared/datasets.js';
import { ExpmanError } from '../errors.js';
import { isTempName } from '../fs/atomic.js';
import { checkName, exists, paths, type Workspace } from '../workspace.js';
import { INFO_FILE, readDatasetInfo, type DatasetInfo } from './dataset-info.js';
import { isNumberText, readHeader, readRows, rowIndex, ROW_STRIDE, toCell } from './csv-lines.js';

/**
 * What the Datasets view browses: the raw files under datasets/external and the prepared datasets
 * beside them, a page of rows of any of their files, read without loading the file.
 */

const PART_FILES: Record<Exclude<DatasetPart, 'raw'>, string> = { train: 'train.csv', test: 'test.csv', data: 'data.csv' };

const relativePath = (ws: Workspace, path: string): string => relative(ws.root, path).split('\\').join('/');

async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function externalSummary(ws: Workspace, name: string): Promise<DatasetSummary> {
  const file = paths.externalCsv(ws, name);
  const [stat, index] = await Promise.all([fs.stat(file), rowIndex(file)]);
  const numeric = index.header.map((_, i) => index.firstRow !== null && isNumberText(index.firstRow[i] ?? ''));
  const last = index.header.length - 1;
  // The label preprocess would use by default: the last column, when it holds text.
  const label = last >= 0 && index.firstRow !== null && !numeric[last] ? index.header[last]! : null;
  return {
    name,
    kind: 'external',
    files: [{ part: 'raw', path: relativePath(ws, file), bytes: stat.size, rows: index.total }],
    rows: index.total,
    columns: index.header.map((column, i) => ({
      name: column,
      dtype: numeric[i] ? 'float64' : 'object',
      role: column === label ? 'label' : 'feature',
    })),
    label,
    classes: [],
    source: null,
    split: null,
    created: stat.mtime.toISOString(),
  };
}

function preparedSummary(ws: Workspace, name: string, info: DatasetInfo): DatasetSummary {
  const dir = paths.datasetDir(ws, name);
  const files: DatasetFileSummary[] = (Object.entries(PART_FILES) as Array<[DatasetPart, string]>)
    .filter(([, file]) => info.files[file] !== undefined)
    .map(([part, file]) => ({ part, path: relativePath(ws, join(dir, file)), bytes: info.files[file]!.bytes, rows: info.files[file]!.rows }));
  return {
    name,
    kind: 'prepared',
    files,
    rows: info.rows.total,
    columns: info.columns.map((c) => ({ name: c.name, dtype: c.dtype, role: c.role })),
    label: info.label.column,
    classes: [...info.label.classes],
    source: info.dataset.source,
    split: {
      trainFraction: info.split.train_fraction,
      separateSets: info.split.separate_sets,
      stratified: info.split.stratified,
      seed: info.split.seed,
      trainRows: info.rows.train,
      testRows: info.rows.test,
      classBalance: { train: { ...info.class_balance.train }, test: { ...info.class_balance.test } },
    },
    created: info.dataset.created,
  };
}

/** A prepared folder that cannot be read is listed with its error, so the view can say what is wrong. */
function brokenSummary(name: string, error: unknown): DatasetSummary {
  return {
    name,
    kind: 'prepared',
    files: [],
    rows: 0,
    columns: [],
    label: null,
    classes: [],
    source: null,
    split: null,
    created: '',
    error: error instanceof Error ? error.message : String(error),
  };
}

export async function preparedDatasetSummary(ws: Workspace, name: string): Promise<DatasetSummary> {
  return preparedSummary(ws, name, await readDatasetInfo(ws, name));
}

/** Names of the prepared datasets (folders with an info.toml under $DATA/datasets), sorted. */
export async function preparedDatasetNames(ws: Workspace): Promise<string[]> {
  const prepared: string[] = [];
  for (const entry of await listDir(paths.datasetsDir(ws))) {
    if (!entry.isDirectory() || entry.name === 'external' || isTempName(entry.name) || entry.name.startsWith('.')) continue;
    if (await exists(join(paths.datasetDir(ws, entry.name), INFO_FILE))) prepared.push(entry.name);
  }
  return prepared.sort();
}

/** Raw files first, then prepared datasets, each sorted by name. Temporaries (.tmp-…) are skipped. */
export async function listDatasets(ws: Workspace): Promise<DatasetSummary[]> {
  const external = (await listDir(paths.externalDir(ws)))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.csv') && !isTempName(entry.name))
    .map((entry) => entry.name.slice(0, -'.csv'.length))
    .sort();
  const prepared = await preparedDatasetNames(ws);
  const raw = await Promise.all(external.map((name) => externalSummary(ws, name)));
  const made = await Promise.all(
    prepared.map(async (name) => {
      try {
        return await preparedDatasetSummary(ws, name);
      } catch (error) {
        return brokenSummary(name, error);
      }
    }),
  );
  return [...raw, ...made];
}

/** The file behind (name, part), and its row count when info.toml vouches for it (same size on disk). */
export async function datasetFile(ws: Workspace, name: string, part: DatasetPart): Promise<{ file: string; knownRows?: number; info?: DatasetInfo }> {
  checkName('dataset', name);
  if (part === 'raw') {
    const file = paths.externalCsv(ws, name);
    if (!(await exists(file))) {
      const available = (await listDir(paths.externalDir(ws))).filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name.slice(0, -4));
      throw new ExpmanError(
        'DATASET_MISSING',
        `raw dataset ${JSON.stringify(name)} not found: no ${relativePath(ws, file)}${available.length ? ` (available: ${available.join(', ')})` : ''}`,
        { file, key: 'name' },
      );
    }
    return { file };
  }
  const info = await readDatasetInfo(ws, name);
  const fileName = PART_FILES[part];
  const entry = info.files[fileName];
  if (!entry) {
    const parts = (Object.entries(PART_FILES) as Array<[DatasetPart, string]>).filter(([, f]) => info.files[f]).map(([p]) => p);
    throw new ExpmanError('DATASET_MISSING', `prepared dataset ${JSON.stringify(name)} has no ${part} part (${fileName}); its parts are: ${parts.join(', ')}`, {
      key: 'part',
      expected: parts.join(' | '),
    });
  }
  const file = join(paths.datasetDir(ws, name), fileName);
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch {
    throw new ExpmanError('DATASET_MISSING', `${relativePath(ws, file)}: file listed in info.toml is missing; run \`expman preprocess --force --name ${name}\``, { file });
  }
  return { file, info, knownRows: size === entry.bytes ? entry.rows : undefined };
}

// Without an index, reading from the top is cheaper than indexing the whole file up to this many rows.
const UNINDEXED_ROWS = 10 * ROW_STRIDE;

/**
 * Rows [offset, offset + limit) of one file of a dataset. Page 1 of a prepared file reads only the top of
 * the file (info.toml gives the total); other pages seek through a cached sparse row index.
 */
export async function readDatasetPage(ws: Workspace, name: string, part: DatasetPart, offset: number, limit: number): Promise<DatasetPage> {
  if (!Number.isInteger(offset) || offset < 0) throw new ExpmanError('USAGE', `offset must be an integer ≥ 0, got ${offset}`, { key: 'offset' });
  if (!Number.isInteger(limit) || limit < 1) throw new ExpmanError('USAGE', `limit must be an integer ≥ 1, got ${limit}`, { key: 'limit' });
  const { file, knownRows } = await datasetFile(ws, name, part);
  if (knownRows !== undefined && offset + limit <= UNINDEXED_ROWS) {
    const [columns, rows] = await Promise.all([readHeader(file), readRows(file, offset, limit)]);
    return { columns, rows: rows.map((row) => row.map(toCell)), offset, total: knownRows };
  }
  const index = await rowIndex(file);
  const rows = offset < index.total ? await readRows(file, offset, Math.min(limit, index.total - offset), index) : [];
  return { columns: index.header, rows: rows.map((row) => row.map(toCell)), offset, total: index.total };
}
