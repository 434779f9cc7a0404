import { appendFileSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync, closeSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { RunTableReader } from '../../../src/core/runs/run-table.js';
import { paths, workspace } from '../../../src/core/workspace.js';
import { TABLE_SMOOTHING, type RunTable } from '../../../src/shared/run-table.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const epochLine = (epoch: number, metrics: Record<string, number>): string =>
  `${JSON.stringify({ event: 'epoch_end', time: 't', epoch, epochs: 9, duration_ms: 5, samples_per_s: 100, ...metrics })}\n`;
const batchLine = (epoch: number): string => `${JSON.stringify({ event: 'batch_end', time: 't', epoch, batch: 1, batches: 1, loss: 99 })}\n`;

function writeRun(root: string, model: string, config: string, lines: string, started: string): string {
  const dir = paths.modelDir(workspace(root), 'exp', model);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'config.toml'), config);
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ status: 'finished', pid: 1, host: 'elsewhere', started, updated: started, epoch: 3, epochs: 3, best: null }));
  writeFileSync(join(dir, 'logs', 'metrics.jsonl'), lines);
  return dir;
}

/** A column's value for a run, constant columns expanded. */
function cell(table: RunTable, id: string, model: string): unknown {
  const column = table.columns.find((c) => c.id === id);
  if (!column) return undefined;
  return 'constant' in column ? column.constant : column.values[table.runs.findIndex((r) => r.model === model)];
}

const debiasedEma = (values: number[]): number => {
  let ema = 0;
  values.forEach((v) => (ema = TABLE_SMOOTHING * ema + (1 - TABLE_SMOOTHING) * v));
  return ema / (1 - TABLE_SMOOTHING ** values.length);
};

test('the table holds every config key (command [params] and provenance too) and last/min/max/smoothed of every epoch metric, any name', async () => {
  const root = tempDataDir(false);
  const config = (lr: number): string => `[training]\nlearning_rate = ${lr}\nepochs = 3\n\n[model]\nhidden_units = [16, 8]\n\n[params]\nwidth = ${lr * 1000}\n\n[provenance]\nsweep = "s1"\n`;
  writeRun(root, 'a', config(0.01), epochLine(1, { val_loss: 0.5, f1: 0.2 }) + batchLine(1) + epochLine(2, { val_loss: 0.3, f1: 0.6 }) + epochLine(3, { val_loss: 0.4, f1: 0.5 }), '2026-01-01T00:00:01Z');
  writeRun(root, 'b', config(0.1), epochLine(1, { val_loss: 0.9 }) + '{"event":"epoch_end","epo', '2026-01-01T00:00:02Z');
  mkdirSync(paths.modelDir(workspace(root), 'exp', 'not-a-run'), { recursive: true }); // no status.json: no row
  const table = await new RunTableReader().read(workspace(root), 'exp');

  expect(table.runs.map((r) => r.model)).toEqual(['a', 'b']);
  expect(cell(table, 'config:training.learning_rate', 'b')).toBe(0.1);
  expect(cell(table, 'config:params.width', 'a')).toBe(10);
  expect(table.columns.find((c) => c.id === 'config:model.hidden_units')).toEqual({ id: 'config:model.hidden_units', constant: '[16,8]' });
  expect(table.columns.find((c) => c.id === 'config:provenance.sweep')).toEqual({ id: 'config:provenance.sweep', constant: 's1' });
  // batch_end lines are not epoch metrics; fields that are not metrics (epoch, duration_ms, …) are no columns
  expect(cell(table, 'metric:val_loss:last', 'a')).toBe(0.4);
  expect(cell(table, 'metric:val_loss:min', 'a')).toBe(0.3);
  expect(cell(table, 'metric:val_loss:max', 'a')).toBe(0.5);
  expect(cell(table, 'metric:val_loss:smoothed', 'a')).toBeCloseTo(debiasedEma([0.5, 0.3, 0.4]), 12);
  expect(cell(table, 'metric:f1:max', 'a')).toBe(0.6);
  expect(cell(table, 'metric:f1:max', 'b')).toBeNull();
  // the torn last line of b is not counted
  expect(cell(table, 'metric:val_loss:last', 'b')).toBe(0.9);
  expect(table.columns.some((c) => /duration_ms|samples_per_s|:epoch:|:epochs:/.test(c.id))).toBe(false);
});

test('a growing metrics.jsonl is read only where it grew; a replaced one from the start; a removed run leaves the table', async () => {
  const root = tempDataDir(false);
  const dir = writeRun(root, 'a', '[training]\nepochs = 3\n', epochLine(1, { val_loss: 0.5 }), '2026-01-01T00:00:01Z');
  const reader = new RunTableReader();
  const ws = workspace(root);
  expect(cell(await reader.read(ws, 'exp'), 'metric:val_loss:min', 'a')).toBe(0.5);

  // Rewrite the first line in place (same length) and append: a reader that parsed the whole file again
  // would see 0.1; the fast path reads only the appended bytes.
  const file = join(dir, 'logs', 'metrics.jsonl');
  const fd = openSync(file, 'r+');
  writeSync(fd, epochLine(1, { val_loss: 0.1 }), 0);
  closeSync(fd);
  appendFileSync(file, epochLine(2, { val_loss: 0.7 }));
  let table = await reader.read(ws, 'exp');
  expect(cell(table, 'metric:val_loss:min', 'a')).toBe(0.5);
  expect(cell(table, 'metric:val_loss:last', 'a')).toBe(0.7);

  // Replaced (a re-run, a sync pull: a new file renamed over it): read from the start.
  writeFileSync(`${file}.new`, epochLine(1, { val_loss: 0.8 }));
  renameSync(`${file}.new`, file);
  table = await reader.read(ws, 'exp');
  expect(cell(table, 'metric:val_loss:min', 'a')).toBe(0.8);
  expect(cell(table, 'metric:val_loss:last', 'a')).toBe(0.8);

  // config.toml edited with the same size and a new mtime: parsed again.
  const configFile = join(dir, 'config.toml');
  writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('3', '4'));
  utimesSync(configFile, new Date(), new Date(Date.now() + 5000));
  expect(cell(await reader.read(ws, 'exp'), 'config:training.epochs', 'a')).toBe(4);

  rmSync(dir, { recursive: true });
  expect((await reader.read(ws, 'exp')).runs).toEqual([]);
});

test('a queued run (no metrics yet) and a missing experiment read as rows without metrics and as an empty table', async () => {
  const root = tempDataDir(false);
  const dir = writeRun(root, 'q', '[training]\nepochs = 3\n', '', '2026-01-01T00:00:01Z');
  rmSync(join(dir, 'logs'), { recursive: true });
  const table = await new RunTableReader().read(workspace(root), 'exp');
  expect(table.runs).toMatchObject([{ model: 'q', epoch: 3, epochs: 3 }]);
  expect(table.columns.map((c) => c.id)).toEqual(['config:training.epochs']);
  expect(await new RunTableReader().read(workspace(root), 'nope')).toEqual({ experiment: 'nope', runs: [], columns: [] });
});

test('two asks while a read is under way share it', async () => {
  const root = tempDataDir(false);
  writeRun(root, 'a', '[training]\nepochs = 3\n', epochLine(1, { val_loss: 0.5 }), '2026-01-01T00:00:01Z');
  const reader = new RunTableReader();
  const [first, second] = [reader.read(workspace(root), 'exp'), reader.read(workspace(root), 'exp')];
  expect(second).toBe(first);
  expect((await first).runs).toHaveLength(1);
  expect(reader.read(workspace(root), 'exp')).not.toBe(first);
});
