import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import { loadPreparedDataset } from '../../../src/core/datasets/load.js';
import { preprocess } from '../../../src/core/datasets/preprocess.js';
import { checkClasses, detectTask, quantileBins, targetBins } from '../../../src/core/datasets/task.js';
import { workspace } from '../../../src/core/workspace.js';
import { listTree, tempDataDir } from '../../helpers/data-dir.js';
import { rejection } from '../../helpers/errors.js';

/** A raw CSV under datasets/external/<name>.csv with two features and the given labels. */
function rawCsv(data: string, name: string, labels: Array<string | number>): void {
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  const rows = labels.map((label, i) => `${i % 7},${(i * 13) % 11},${label}`);
  writeFileSync(join(data, 'datasets', 'external', `${name}.csv`), ['a,b,y', ...rows, ''].join('\n'));
}

const base = { name: 'prepared', split: 0.8, separateSets: false, seed: 42 };

describe('detectTask', () => {
  it('calls a numeric label with many distinct values regression, anything else classification', () => {
    expect(detectTask(Array.from({ length: 214 }, (_, i) => String(25 + i)))).toBe('regression');
    expect(detectTask(Array.from({ length: 50 }, (_, i) => String(i / 10)))).toBe('regression');
    expect(detectTask(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])).toBe('classification');
    expect(detectTask(['setosa', 'versicolor', 'virginica'])).toBe('classification');
    expect(detectTask([...Array.from({ length: 30 }, (_, i) => String(i)), 'n/a'])).toBe('classification');
  });
});

describe('checkClasses', () => {
  it('refuses classes with fewer than 2 rows and too many classes, suggesting regression for numbers', () => {
    expect(() => checkClasses('f.csv', 'y', ['a', 'b'], [0, 1, 0, 1])).not.toThrow();
    expect(() => checkClasses('f.csv', 'y', ['1', '2', '3'], [0, 1, 0, 1, 2])).toThrow(
      'f.csv: label column "y" has 1 class with fewer than 2 rows ("3"); a class needs at least 2; if it is a number to predict, use --task regression',
    );
    expect(() => checkClasses('f.csv', 'y', ['a', 'b'], [0, 0, 1])).toThrow(/fewer than 2 rows \("b"\); a class needs at least 2$/);
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
    expect(() => checkClasses('f.csv', 'y', many, [...many.keys(), ...many.keys()])).toThrow('has 101 distinct values, more than 100 classes');
  });
});

describe('quantileBins', () => {
  it('gives equally full bins by rank, ties broken by row, whatever the row order', () => {
    const values = [5, 1, 4, 2, 3, 9, 8, 7, 6, 0];
    const { ids, bins } = quantileBins(values, 5);
    expect(bins).toBe(5);
    expect(Array.from(ids)).toEqual([2, 0, 2, 1, 1, 4, 4, 3, 3, 0]);
    expect(quantileBins([1, 1, 1, 1], 2).ids).toEqual(Uint32Array.from([0, 0, 1, 1]));
    expect(targetBins(442)).toBe(10);
    expect(targetBins(12)).toBe(2);
  });
});

describe('preprocess: tasks', () => {
  it('detects regression, records it in info.toml and stratifies the split on target quantiles', async () => {
    const data = tempDataDir(false);
    const target = Array.from({ length: 200 }, (_, i) => (i * 37) % 200 + 0.5);
    rawCsv(data, 'reg', target);
    const ws = workspace(data);
    const { info } = await preprocess(ws, { ...base, dataset: 'reg' });
    expect(info.task).toBe('regression');
    const toml = TOML.parse(readFileSync(join(data, 'datasets', 'prepared', 'info.toml'), 'utf8')) as any;
    expect(toml.task).toBe('regression');
    expect(toml.columns.find((c: any) => c.role === 'label')).toEqual({ name: 'y', dtype: 'float64', role: 'label' });
    // Each decile of the target gives 16 training and 4 test rows.
    const loaded = await loadPreparedDataset(ws, 'prepared');
    expect(loaded.task).toBe('regression');
    expect(loaded.train.rows).toBe(160);
    const perDecile = new Array<number>(10).fill(0);
    for (const v of loaded.test.target) perDecile[Math.floor(v / 20)]!++;
    expect(perDecile).toEqual(new Array(10).fill(4));
    expect(toml.target.train.mean).toBeCloseTo(loaded.train.target.reduce((s, v) => s + v, 0) / 160, 6);
  });

  it('keeps small numeric labels (digits) as classification; --task overrides the detection', async () => {
    const data = tempDataDir(false);
    rawCsv(data, 'digits', Array.from({ length: 100 }, (_, i) => i % 10));
    const ws = workspace(data);
    expect((await preprocess(ws, { ...base, dataset: 'digits' })).info.task).toBe('classification');
    const forced = await preprocess(ws, { ...base, name: 'as-number', dataset: 'digits', task: 'regression' });
    expect(forced.info.task).toBe('regression');
    expect(forced.info.label.classes).toEqual([]);
  });

  it('refuses a label that gives classes with one row, with a hint, writing nothing', async () => {
    const data = tempDataDir(false);
    rawCsv(data, 'scores', Array.from({ length: 40 }, (_, i) => (i < 36 ? i % 6 : 6 + i)));
    const ws = workspace(data);
    const error = await rejection(preprocess(ws, { ...base, dataset: 'scores' }));
    expect(error.message).toMatch(/^datasets\/external\/scores\.csv: label column "y" has 4 classes with fewer than 2 rows \("42", "43", "44", …\); .*use --task regression$/);
    expect(error.details.key).toBe('y');
    expect(listTree(join(data, 'datasets'))).toEqual(['external', 'external/scores.csv']);
  });

  it('a regression label with a value that is not a number is an error naming line and column', async () => {
    const data = tempDataDir(false);
    rawCsv(data, 'bad', ['1.5', '2.5', '3', 'n/a', '4']);
    const ws = workspace(data);
    const error = await rejection(preprocess(ws, { ...base, dataset: 'bad', task: 'regression' }));
    expect(error.message).toBe('datasets/external/bad.csv:5:3: regression label column "y" has a value that is not a number: "n/a"');
    expect(error.details).toMatchObject({ line: 5, column: 3, key: 'y' });
    expect(listTree(join(data, 'datasets'))).toEqual(['external', 'external/bad.csv']);
  });
});

describe('dataset statistics of a regression dataset', () => {
  it('describe and histogram the target like a feature, with no class balance', async () => {
    const { datasetStats } = await import('../../../src/core/datasets/stats.js');
    const data = tempDataDir(false);
    rawCsv(data, 'reg', Array.from({ length: 100 }, (_, i) => i * 1.5));
    const ws = workspace(data);
    await preprocess(ws, { ...base, dataset: 'reg' });
    const stats = await datasetStats(ws, 'prepared', 'data', { engine: 'stream' });
    expect(stats.label).toBeNull();
    expect(stats.classBalance).toEqual([]);
    expect(stats.describe.map((d) => d.column)).toEqual(['a', 'b', 'y']);
    expect(stats.describe.find((d) => d.column === 'y')).toMatchObject({ count: 100, min: 0, max: 148.5 });
    expect(stats.histograms.find((h) => h.column === 'y')?.byClass).toBeNull();
  });
});
