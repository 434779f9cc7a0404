import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import { preprocess, stratifiedSplit } from '../../../src/core/datasets/preprocess.js';
import { loadPreparedDataset } from '../../../src/core/datasets/load.js';
import { workspace } from '../../../src/core/workspace.js';
import { listTree, pythonWithPandas, tempDataDir } from '../../helpers/data-dir.js';
import { rejection } from '../../helpers/errors.js';

const options = { dataset: 'iris', name: 'prepared-dataset', split: 0.8, separateSets: true, seed: 42 };

describe('stratifiedSplit', () => {
  it('keeps class proportions, covers every row once and depends only on the seed', () => {
    const labels = Uint32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));
    const a = stratifiedSplit(labels, 3, 0.8, 1);
    const b = stratifiedSplit(labels, 3, 0.8, 1);
    const c = stratifiedSplit(labels, 3, 0.8, 2);
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.train)).not.toEqual(Array.from(c.train));
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const count = (rows: Uint32Array, k: number) => Array.from(rows).filter((r) => labels[r] === k).length;
    expect([count(a.train, 0), count(a.train, 1), count(a.train, 2)]).toEqual([48, 24, 8]);
  });
});

describe('preprocess', () => {
  it('writes train/test CSVs and an info.toml that describes them', async () => {
    const ws = workspace(tempDataDir());
    const result = await preprocess(ws, options);
    expect(result.unchanged).toBe(false);
    const dir = join(ws.root, 'datasets', 'prepared-dataset');
    expect(listTree(dir)).toEqual(['info.toml', 'test.csv', 'train.csv']);
    const info = TOML.parse(readFileSync(join(dir, 'info.toml'), 'utf8')) as any;
    expect(info.rows).toEqual({ total: 150, train: 120, test: 30 });
    expect(info.class_balance.train).toEqual({ setosa: 40, versicolor: 40, virginica: 40 });
    expect(info.class_balance.test).toEqual({ setosa: 10, versicolor: 10, virginica: 10 });
    expect(info.split).toEqual({ train_fraction: 0.8, separate_sets: true, stratified: true, seed: 42 });
    expect(info.columns.map((c: any) => [c.name, c.dtype, c.role])).toEqual([
      ['sepal_length', 'float64', 'feature'],
      ['sepal_width', 'float64', 'feature'],
      ['petal_length', 'float64', 'feature'],
      ['petal_width', 'float64', 'feature'],
      ['species', 'object', 'label'],
    ]);
    expect(info.columns[0].min).toBe(4.3);
    const train = readFileSync(join(dir, 'train.csv'));
    const sha = spawnSync('sha256sum', [join(dir, 'train.csv')], { encoding: 'utf8' }).stdout.split(' ')[0];
    expect(info.files['train.csv']).toEqual({ rows: 120, bytes: train.length, sha256: sha });
    // Rows are the original lines, shuffled: every train+test line is a line of the source.
    const source = new Set(readFileSync(join(ws.root, 'datasets/external/iris.csv'), 'utf8').trim().split('\n').slice(1));
    const lines = [...train.toString().trim().split('\n').slice(1), ...readFileSync(join(dir, 'test.csv'), 'utf8').trim().split('\n').slice(1)];
    expect(lines.every((l) => source.has(l))).toBe(true);
    expect(new Set(lines).size).toBeGreaterThanOrEqual(147); // Iris has 3 duplicate rows
  });

  it('refuses seeds that the 32-bit split would alias (negative, fractional, huge), writing nothing', async () => {
    const ws = workspace(tempDataDir());
    for (const seed of [-1, 1e99, 2 ** 32, 0.5, Number.NaN]) {
      const e = await rejection(preprocess(ws, { ...options, seed }));
      expect(e.code, String(seed)).toBe('USAGE');
      expect(e.message).toBe(`--seed must be a whole number from 0 to 4294967295, got ${seed}`);
    }
    expect(existsSync(join(ws.root, 'datasets/prepared-dataset'))).toBe(false);
    expect((await preprocess(ws, { ...options, seed: 2 ** 32 - 1 })).info.split.seed).toBe(2 ** 32 - 1);
  });

  it('is reproducible for a seed and reports "unchanged" instead of rewriting', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, options);
    const before = readFileSync(join(ws.root, 'datasets/prepared-dataset/train.csv'));
    const again = await preprocess(ws, options);
    expect(again.unchanged).toBe(true);
    expect(readFileSync(join(ws.root, 'datasets/prepared-dataset/train.csv'))).toEqual(before);
    const other = await rejection(preprocess(ws, { ...options, seed: 7 }));
    expect(other.code).toBe('DATASET_EXISTS');
    expect(readFileSync(join(ws.root, 'datasets/prepared-dataset/train.csv'))).toEqual(before);
    const forced = await preprocess(ws, { ...options, seed: 7, force: true });
    expect(forced.unchanged).toBe(false);
    expect(readFileSync(join(ws.root, 'datasets/prepared-dataset/train.csv'))).not.toEqual(before);
  });

  it('without separate sets writes one data.csv with a set column', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, { ...options, separateSets: false, name: 'one-file' });
    const text = readFileSync(join(ws.root, 'datasets/one-file/data.csv'), 'utf8').trim().split('\n');
    expect(text[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,species,set');
    expect(text.filter((l) => l.endsWith(',train'))).toHaveLength(120);
    expect(text.filter((l) => l.endsWith(',test'))).toHaveLength(30);
    const data = await loadPreparedDataset(ws, 'one-file');
    expect([data.train.rows, data.test.rows]).toEqual([120, 30]);
  });

  it('loads in pandas unchanged', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, options);
    const script = `
import pandas as pd, sys
train = pd.read_csv(sys.argv[1] + '/train.csv'); test = pd.read_csv(sys.argv[1] + '/test.csv')
print(train.shape, test.shape, list(train.dtypes.astype(str)), train['species'].value_counts().sort_index().tolist())
`;
    const out = spawnSync(pythonWithPandas(), ['-c', script, join(ws.root, 'datasets/prepared-dataset')], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe("(120, 5) (30, 5) ['float64', 'float64', 'float64', 'float64', 'object'] [40, 40, 40]");
  });

  it('loads in danfojs unchanged', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, options);
    const dfd = await import('danfojs-node');
    const df = await dfd.readCSV(join(ws.root, 'datasets/prepared-dataset/train.csv'));
    expect(df.shape).toEqual([120, 5]);
    expect(df.columns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
    expect(df.dtypes.slice(0, 4).every((t: string) => t.startsWith('float'))).toBe(true);
  });

  describe('bad input changes nothing on disk', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['wrong column count', 'a,b,species\n1,2,x\n3,y\n', /bad\.csv:3: expected 3 columns/],
      ['non-numeric feature', 'a,b,species\n1,2,x\n1,oops,y\n', /bad\.csv:3:2: column "b": "oops" is not a number/],
      ['empty file', '', /bad\.csv:1: file is empty/],
      ['one class only', 'a,species\n1,x\n2,x\n', /only 1 class/],
    ];
    it.each(cases)('%s', async (_name, text, message) => {
      const root = tempDataDir();
      writeFileSync(join(root, 'datasets/external/bad.csv'), text);
      const before = listTree(root);
      const error = await rejection(preprocess(workspace(root), { ...options, dataset: 'bad' }));
      expect(error.message).toMatch(message);
      expect(listTree(root)).toEqual(before);
    });

    it('missing dataset, with the available ones', async () => {
      const root = tempDataDir();
      const error = await rejection(preprocess(workspace(root), { ...options, dataset: 'mnist' }));
      expect(error.code).toBe('DATASET_MISSING');
      expect(error.message).toMatch(/dataset "mnist" not found: no .*mnist\.csv \(available: iris\)/);
      expect(listTree(root)).toEqual(['datasets', 'datasets/external', 'datasets/external/iris.csv']);
    });

    it.each([1.5, 0, 1, -0.2, Number.NaN])('split %s', async (split) => {
      const root = tempDataDir();
      const error = await rejection(preprocess(workspace(root), { ...options, split }));
      expect(error.message).toBe(`--split must be a number between 0 and 1 (exclusive), got ${split}`);
      expect(listTree(root)).toEqual(['datasets', 'datasets/external', 'datasets/external/iris.csv']);
    });

    it('names that would escape the data folder', async () => {
      const root = tempDataDir();
      expect((await rejection(preprocess(workspace(root), { ...options, name: '../evil' }))).message).toMatch(/invalid prepared dataset name/);
      expect(listTree(root)).toEqual(['datasets', 'datasets/external', 'datasets/external/iris.csv']);
    });
  });

  it('detects a prepared file edited after preprocessing', async () => {
    const ws = workspace(tempDataDir());
    await preprocess(ws, options);
    const file = join(ws.root, 'datasets/prepared-dataset/test.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace('setosa', 'virginica'));
    const error = await rejection(loadPreparedDataset(ws, 'prepared-dataset'));
    expect(error.code).toBe('DATASET_CHANGED');
    expect(error.message).toMatch(/datasets\/prepared-dataset\/test\.csv: content does not match the sha256 in info\.toml/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a read-only data folder before writing anything', async () => {
    const root = tempDataDir();
    chmodSync(join(root, 'datasets'), 0o555);
    try {
      const error = await rejection(preprocess(workspace(root), options));
      expect(error.code).toBe('NOT_WRITABLE');
    } finally {
      chmodSync(join(root, 'datasets'), 0o755);
    }
  });
});
