import type { Progress } from '../../../src/shared/progress';
import type { DatasetPage, DatasetStats, DatasetSummary, DatasetsClient, PreprocessOutcome, PreprocessRequest } from '../../../src/shared/datasets';

/** 120 rows of an Iris-like table: x = row number, y = x / 2, label cycling through three classes. */
export const COLUMNS = ['x', 'y', 'species'];
export const CLASSES = ['setosa', 'versicolor', 'virginica'];
export const ROWS: Array<Array<string | number>> = Array.from({ length: 120 }, (_, i) => [i, i / 2, CLASSES[i % 3]!]);

export function pageOf(offset: number, limit: number): DatasetPage {
  return { columns: COLUMNS, rows: ROWS.slice(offset, offset + limit), offset, total: ROWS.length };
}

export const STATS: DatasetStats = {
  name: 'iris',
  part: 'raw',
  rows: 120,
  describe: [
    { column: 'x', count: 120, mean: 59.5, std: 34.785054261852174, min: 0, q25: 29.75, q50: 59.5, q75: 89.25, max: 119 },
    { column: 'y', count: 120, mean: 29.75, std: 17.392527130926087, min: 0, q25: 14.875, q50: 29.75, q75: 44.625, max: 59.5 },
  ],
  label: 'species',
  classBalance: [
    { label: 'setosa', count: 60 },
    { label: 'versicolor', count: 40 },
    { label: 'virginica', count: 20 },
  ],
  histograms: ['x', 'y'].map((column) => ({
    column,
    edges: [0, 1, 2, 3, 4],
    counts: [30, 30, 30, 30],
    byClass: [
      [20, 20, 10, 10],
      [10, 10, 10, 10],
      [0, 0, 10, 10],
    ],
  })),
  engine: 'danfojs',
  elapsedMs: 3,
};

export const IRIS: DatasetSummary = {
  name: 'iris',
  kind: 'external',
  files: [{ part: 'raw', path: 'datasets/external/iris.csv', bytes: 4551, rows: 120 }],
  rows: 120,
  columns: [
    { name: 'x', dtype: 'float64', role: 'feature' },
    { name: 'y', dtype: 'float64', role: 'feature' },
    { name: 'species', dtype: 'object', role: 'label' },
  ],
  label: 'species',
  classes: [],
  source: null,
  split: null,
  created: '2026-01-01T00:00:00.000Z',
};

export function prepared(name: string, request: PreprocessRequest): DatasetSummary {
  const train = Math.round(120 * request.split);
  return {
    ...IRIS,
    name,
    kind: 'prepared',
    files: [
      { part: 'train', path: `datasets/${name}/train.csv`, bytes: 3000, rows: train },
      { part: 'test', path: `datasets/${name}/test.csv`, bytes: 1000, rows: 120 - train },
    ],
    classes: CLASSES,
    source: 'datasets/external/iris.csv',
    split: { trainFraction: request.split, separateSets: true, stratified: true, seed: request.seed ?? 42, trainRows: train, testRows: 120 - train, classBalance: { train: {}, test: {} } },
  };
}

/** An in-memory DatasetsClient that records its calls. */
export function fakeClient(): DatasetsClient & { calls: string[]; datasets: DatasetSummary[] } {
  const datasets: DatasetSummary[] = [IRIS];
  const calls: string[] = [];
  return {
    calls,
    datasets,
    list: async () => {
      calls.push('list');
      return [...datasets];
    },
    page: async ({ name, part, offset, limit }) => {
      calls.push(`page ${name} ${part} ${offset} ${limit}`);
      return pageOf(offset, limit);
    },
    stats: async ({ name, part, bins }) => {
      calls.push(`stats ${name} ${part} ${bins}`);
      return { ...STATS, name, part };
    },
    preprocess: async (request: PreprocessRequest, onProgress: (p: Progress) => void): Promise<PreprocessOutcome> => {
      calls.push(`preprocess ${JSON.stringify(request)}`);
      onProgress({ phase: 'writing', done: 60, total: 120, unit: 'rows' });
      const dataset = prepared(request.name ?? 'prepared-dataset', request);
      datasets.push(dataset);
      return { dataset, unchanged: false };
    },
  };
}
