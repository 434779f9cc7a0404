import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDatasets, readDatasetPage } from '../../../src/core/datasets/browse.js';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import { datasetStats } from '../../../src/core/datasets/stats.js';
import { workspace, type Workspace } from '../../../src/core/workspace.js';
import type { DatasetStats } from '../../../src/shared/datasets.js';
import { pythonWithPandas, tempDataDir } from '../../helpers/data-dir.js';
import { rejection } from '../../helpers/errors.js';

/** A CSV line as the preview returns it: decimal numbers as numbers. */
const cells = (line: string): Array<string | number> => line.split(',').map((v) => (/^[\d.]+$/.test(v) ? Number(v) : v));

const options = { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 };

/** pandas' describe() and value_counts of a CSV, as JSON. */
function pandasDescribe(file: string, label: string | null): { describe: Record<string, Record<string, number>>; counts: Record<string, number> } {
  const script = `
import json, sys, pandas as pd
df = pd.read_csv(sys.argv[1], low_memory=False)
label = sys.argv[2] or None
d = df.describe()
counts = {} if label is None else {str(k): int(v) for k, v in df[label].value_counts(sort=False).items()}
print(json.dumps({'describe': {c: {k: float(d[c][k]) for k in d.index} for c in d.columns}, 'counts': counts}))
`;
  const out = spawnSync(pythonWithPandas(), ['-c', script, file, label ?? ''], { encoding: 'utf8' });
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout);
}

function expectSameAsPandas(stats: DatasetStats, file: string, label: string | null): void {
  const expected = pandasDescribe(file, label);
  expect(stats.describe.map((d) => d.column)).toEqual(Object.keys(expected.describe));
  for (const d of stats.describe) {
    const p = expected.describe[d.column]!;
    expect(d.count).toBe(p['count']);
    const pairs: Array<[number, number]> = [
      [d.mean, p['mean']!],
      [d.std, p['std']!],
      [d.min, p['min']!],
      [d.q25, p['25%']!],
      [d.q50, p['50%']!],
      [d.q75, p['75%']!],
      [d.max, p['max']!],
    ];
    for (const [actual, wanted] of pairs) expect(Math.abs(actual - wanted)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(wanted)));
  }
  expect(Object.fromEntries(stats.classBalance.map((c) => [c.label, c.count]))).toEqual(expected.counts);
}

async function irisWorkspace(): Promise<Workspace> {
  const ws = workspace(tempDataDir());
  await preprocess(ws, options);
  await preprocess(ws, { ...options, name: 'one-file', separateSets: false, split: 0.7 });
  return ws;
}

describe('listDatasets', () => {
  it('lists raw files and prepared datasets with their files, rows, columns, classes and split', async () => {
    const ws = await irisWorkspace();
    // Neither a temporary folder nor a folder without info.toml is a dataset; a broken info.toml is listed with its error.
    mkdirSync(join(ws.root, 'datasets', '.tmp-half-written'));
    mkdirSync(join(ws.root, 'datasets', 'notes'));
    mkdirSync(join(ws.root, 'datasets', 'broken'));
    writeFileSync(join(ws.root, 'datasets', 'broken', 'info.toml'), 'this is = = not toml');
    const list = await listDatasets(ws);
    expect(list.map((d) => [d.kind, d.name])).toEqual([
      ['external', 'iris'],
      ['prepared', 'broken'],
      ['prepared', 'one-file'],
      ['prepared', 'prepared-dataset'],
    ]);
    const [iris, broken, oneFile, prepared] = list;
    expect(iris!.rows).toBe(150);
    expect(iris!.files).toEqual([{ part: 'raw', path: 'datasets/external/iris.csv', bytes: readFileSync(join(ws.root, 'datasets/external/iris.csv')).length, rows: 150 }]);
    expect(iris!.label).toBe('species');
    expect(iris!.columns.map((c) => [c.name, c.dtype, c.role])).toEqual([
      ['sepal_length', 'float64', 'feature'],
      ['sepal_width', 'float64', 'feature'],
      ['petal_length', 'float64', 'feature'],
      ['petal_width', 'float64', 'feature'],
      ['species', 'object', 'label'],
    ]);
    expect(broken!.error).toMatch(/broken[\\/]info\.toml:1: invalid info\.toml/);
    expect(prepared!.files.map((f) => [f.part, f.path, f.rows])).toEqual([
      ['train', 'datasets/prepared-dataset/train.csv', 120],
      ['test', 'datasets/prepared-dataset/test.csv', 30],
    ]);
    expect(prepared!.split).toMatchObject({ trainFraction: 0.8, separateSets: true, seed: 42, trainRows: 120, testRows: 30 });
    expect(prepared!.split!.classBalance.test).toEqual({ setosa: 10, versicolor: 10, virginica: 10 });
    expect(prepared!.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(prepared!.source).toBe('datasets/external/iris.csv');
    expect(Number.isNaN(Date.parse(prepared!.created))).toBe(false);
    expect(oneFile!.files.map((f) => [f.part, f.rows])).toEqual([['data', 150]]);
    expect(oneFile!.columns.at(-1)).toEqual({ name: 'set', dtype: 'object', role: 'set' });
  });

  it('returns an empty list for a data folder without datasets', async () => {
    expect(await listDatasets(workspace(tempDataDir(false)))).toEqual([]);
  });
});

describe('readDatasetPage', () => {
  it('pages through the raw file with numbers as numbers and the total', async () => {
    const ws = await irisWorkspace();
    const lines = readFileSync(join(ws.root, 'datasets/external/iris.csv'), 'utf8').trim().split('\n');
    const first = await readDatasetPage(ws, 'iris', 'raw', 0, 3);
    expect(first.columns).toEqual(lines[0]!.split(','));
    expect(first.total).toBe(150);
    expect(first.rows[0]).toEqual([5.1, 3.5, 1.4, 0.2, 'setosa']);
    const last = await readDatasetPage(ws, 'iris', 'raw', 145, 50);
    expect(last.rows).toEqual(lines.slice(146).map(cells));
    expect((await readDatasetPage(ws, 'iris', 'raw', 150, 10)).rows).toEqual([]);
  });

  it('reads prepared train/test/data files', async () => {
    const ws = await irisWorkspace();
    const train = readFileSync(join(ws.root, 'datasets/prepared-dataset/train.csv'), 'utf8').trim().split('\n');
    const page = await readDatasetPage(ws, 'prepared-dataset', 'train', 100, 50);
    expect(page.total).toBe(120);
    expect(page.rows).toEqual(train.slice(101).map(cells));
    const data = await readDatasetPage(ws, 'one-file', 'data', 0, 1);
    expect(data.columns.at(-1)).toBe('set');
    expect(data.rows[0]!.at(-1)).toBe('train');
  });

  it('names an unknown dataset, a missing part and bad paging arguments', async () => {
    const ws = await irisWorkspace();
    expect((await rejection(readDatasetPage(ws, 'nope', 'raw', 0, 10))).message).toMatch(/raw dataset "nope" not found: no datasets\/external\/nope\.csv \(available: iris\)/);
    expect((await rejection(readDatasetPage(ws, 'nope', 'train', 0, 10))).message).toMatch(/prepared dataset "nope" not found/);
    expect((await rejection(readDatasetPage(ws, 'prepared-dataset', 'data', 0, 10))).message).toMatch(/has no data part \(data\.csv\); its parts are: train, test/);
    expect((await rejection(readDatasetPage(ws, '../etc', 'raw', 0, 10))).code).toBe('USAGE');
    expect((await rejection(readDatasetPage(ws, 'iris', 'raw', -1, 10))).message).toMatch(/offset/);
    expect((await rejection(readDatasetPage(ws, 'iris', 'raw', 0, 0))).message).toMatch(/limit/);
  });

  it('seeks through a large file with blank lines and CRLF, and sees an edited file', async () => {
    const ws = workspace(tempDataDir(false));
    mkdirSync(join(ws.root, 'datasets', 'external'), { recursive: true });
    const file = join(ws.root, 'datasets', 'external', 'big.csv');
    const rows = Array.from({ length: 25_000 }, (_, i) => `${i},${(i * 0.5).toFixed(1)},c${i % 3}`);
    // Blank lines do not count as rows (pandas skips them), so they must not shift pages.
    writeFileSync(file, `a,b,label\r\n${rows.map((r, i) => (i % 997 === 0 ? `${r}\r\n\r\n` : `${r}\r\n`)).join('')}`);
    const page = await readDatasetPage(ws, 'big', 'raw', 12_345, 3);
    expect(page.total).toBe(25_000);
    expect(page.rows).toEqual([
      [12_345, 6172.5, 'c0'],
      [12_346, 6173, 'c1'],
      [12_347, 6173.5, 'c2'],
    ]);
    expect((await readDatasetPage(ws, 'big', 'raw', 24_999, 5)).rows).toEqual([[24_999, 12_499.5, 'c0']]);
    writeFileSync(file, `a,b,label\n${rows.slice(0, 2000).join('\n')}\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const edited = await readDatasetPage(ws, 'big', 'raw', 1999, 5);
    expect(edited.total).toBe(2000);
    expect(edited.rows).toEqual([[1999, 999.5, 'c1']]);
  });
});

describe('datasetStats', () => {
  it('matches pandas describe() and value_counts on raw Iris with both engines', async () => {
    const ws = await irisWorkspace();
    const file = join(ws.root, 'datasets/external/iris.csv');
    const danfo = await datasetStats(ws, 'iris', 'raw');
    expect(danfo.engine).toBe('danfojs');
    expectSameAsPandas(danfo, file, 'species');
    const stream = await datasetStats(ws, 'iris', 'raw', { engine: 'stream' });
    expect(stream.engine).toBe('stream');
    expectSameAsPandas(stream, file, 'species');
    expect(stream.classBalance).toEqual([
      { label: 'setosa', count: 50 },
      { label: 'versicolor', count: 50 },
      { label: 'virginica', count: 50 },
    ]);
    // Known Iris figures, independent of both.
    expect(stream.describe[2]).toMatchObject({ column: 'petal_length', count: 150, min: 1, q50: 4.35, max: 6.9 });
  });

  it('matches pandas on prepared train and one-file data', async () => {
    const ws = await irisWorkspace();
    const train = await datasetStats(ws, 'prepared-dataset', 'train', { engine: 'stream' });
    expectSameAsPandas(train, join(ws.root, 'datasets/prepared-dataset/train.csv'), 'species');
    expect(train.rows).toBe(120);
    // Classes in info.toml's order, not the shuffled file's, so each keeps its colour across files.
    await preprocess(ws, { ...options, name: 'p75', split: 0.75 });
    const p75 = readFileSync(join(ws.root, 'datasets/p75/train.csv'), 'utf8').split('\n');
    expect(p75[1]!.split(',').at(-1)).toBe('virginica');
    const shuffled = await datasetStats(ws, 'p75', 'train', { engine: 'stream' });
    expect(shuffled.classBalance).toEqual([
      { label: 'setosa', count: 38 },
      { label: 'versicolor', count: 38 },
      { label: 'virginica', count: 38 },
    ]);
    const data = await datasetStats(ws, 'one-file', 'data');
    // The `set` column is text: not described, not a label.
    expect(data.describe.map((d) => d.column)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expectSameAsPandas(data, join(ws.root, 'datasets/one-file/data.csv'), 'species');
  });

  it('builds histograms whose bins cover every row, split by class', async () => {
    const ws = await irisWorkspace();
    const stats = await datasetStats(ws, 'iris', 'raw', { bins: 10, engine: 'stream' });
    const petal = stats.histograms.find((h) => h.column === 'petal_length')!;
    expect(petal.edges).toHaveLength(11);
    expect(petal.edges[0]).toBe(1);
    expect(petal.edges[10]).toBe(6.9);
    expect(petal.counts.reduce((a, b) => a + b, 0)).toBe(150);
    expect(petal.byClass!.map((c) => c.reduce((a, b) => a + b, 0))).toEqual([50, 50, 50]);
    // numpy.histogram(iris.petal_length, bins=10)
    expect(petal.counts).toEqual([37, 13, 0, 3, 8, 26, 29, 18, 11, 5]);
    // Setosa's petals are all short: only the first two bins.
    expect(petal.byClass![0]!.slice(2).every((n) => n === 0)).toBe(true);
  });

  it('streams a large file with missing values and text in a numeric column, as pandas does', async () => {
    const ws = workspace(tempDataDir(false));
    mkdirSync(join(ws.root, 'datasets', 'external'), { recursive: true });
    const file = join(ws.root, 'datasets', 'external', 'big.csv');
    const lines = ['x,y,note,tag,label'];
    for (let i = 0; i < 200_000; i++) {
      const x = i % 101 === 0 ? '' : (Math.sin(i) * 1000).toFixed(4);
      // "n/a" is missing to pandas (the column stays numeric); "oops" makes `tag` a text column.
      lines.push(`${x},${(i % 17) * 0.25},${i === 5 ? 'n/a' : i},${i === 7 ? 'oops' : i % 9},k${i % 4}`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const stats = await datasetStats(ws, 'big', 'raw');
    expect(stats.engine).toBe('stream');
    expect(stats.rows).toBe(200_000);
    expectSameAsPandas(stats, file, 'label');
    expect(stats.describe.map((d) => d.column)).toEqual(['x', 'y', 'note']);
    expect(stats.describe[2]!.count).toBe(199_999);
    expect(stats.histograms[0]!.counts.reduce((a, b) => a + b, 0)).toBe(stats.describe[0]!.count);
  });

  it('reports a row with the wrong number of fields and an unknown dataset', async () => {
    const ws = workspace(tempDataDir());
    writeFileSync(join(ws.root, 'datasets/external/bad.csv'), 'a,b,label\n1,2,x\n3,y\n');
    expect((await rejection(datasetStats(ws, 'bad', 'raw'))).message).toBe(
      'datasets/external/bad.csv: data row 2: expected 3 columns (a, b, label), found 2',
    );
    expect((await rejection(datasetStats(ws, 'missing', 'raw'))).message).toMatch(/raw dataset "missing" not found/);
    expect((await rejection(datasetStats(ws, 'iris', 'raw', { bins: 0 }))).message).toMatch(/bins must be an integer/);
  });
});
