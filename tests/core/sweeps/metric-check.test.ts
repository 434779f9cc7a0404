import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { driveSweep } from '../../../src/core/sweeps/controller.js';
import type { SweepDefinition } from '../../../src/core/sweeps/definition.js';
import type { TrialLauncher } from '../../../src/core/sweeps/launcher.js';
import { readTrials, sweepFiles } from '../../../src/core/sweeps/sweep-store.js';
import { newStatus, writeStatus } from '../../../src/core/training/run-store.js';
import { paths, workspace } from '../../../src/core/workspace.js';
import type { SweepState } from '../../../src/shared/sweeps.js';

const data = mkdtempSync(join(tmpdir(), 'expman-sweep-metric-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

/**
 * A trainer whose metrics are not known beforehand (a command run writes what it writes): the sweep's
 * metric can only be checked once a trial has ended. This executor plays such runs: each ends at once,
 * having written the given epochs of `loss` and `score`.
 */
const writesOtherMetrics = (epochs: number[]): TrialLauncher => ({
  start: async (ws, request) => {
    const dir = paths.modelDir(ws, request.experiment, request.model);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const lines = epochs.map((epoch) => JSON.stringify({ event: 'epoch_end', time: new Date().toISOString(), epoch, epochs: 2, duration_ms: 1, samples_per_s: 1, loss: 1 / epoch, score: epoch }));
    writeFileSync(join(dir, 'logs', 'metrics.jsonl'), lines.map((l) => `${l}\n`).join(''));
    await writeStatus(dir, { ...newStatus(2), status: 'finished', epoch: epochs.length });
  },
  resume: () => Promise.reject(new Error('not expected')),
  stop: async () => undefined,
  holds: () => false,
});

async function drive(name: string, launcher: TrialLauncher): Promise<{ result: SweepState; dir: string }> {
  const ws = workspace(data);
  const dir = sweepFiles.dir(ws, 'default', name);
  mkdirSync(dir, { recursive: true });
  const def: SweepDefinition = {
    name, experiment: 'default', method: 'random', metric: 'val_acc', goal: 'maximize', seed: 0, parallel: 1, repeats: 1, seedKey: 'training.seed',
    budget: { trials: 5 }, parameters: [{ key: 'params.lr', dist: { kind: 'uniform', low: 0, high: 1 } }], fixed: [], pruner: { type: 'none' }, tpe: {},
  };
  const now = new Date().toISOString();
  const state: SweepState = { name, experiment: 'default', status: 'stopped', created: now, updated: now, elapsed_s: 0, sampler: { method: 'random', seed: 0, next_point: 0 } };
  writeFileSync(sweepFiles.definition(dir), JSON.stringify(def));
  writeFileSync(sweepFiles.state(dir), JSON.stringify(state));
  writeFileSync(sweepFiles.trials(dir), '[]');
  return { result: await driveSweep(ws, dir, { launcher, pollMs: 20 }), dir };
}

test('a metric no run writes: the sweep fails with one clear line when its first trial ends without it', async () => {
  const { result, dir } = await drive('cmd', writesOtherMetrics([1, 2]));
  expect(result).toMatchObject({ status: 'failed', error: { code: 'CONFIG_INVALID', message: 'metric "val_acc": trial 0 (run cmd-t0000) ended without writing it; its runs write loss, score' } });
  // It stopped there: no further trial was started.
  expect((await readTrials(dir)).map((t) => t.status)).toEqual(['finished']);
});

test('a script that finishes without writing any epoch: the sweep fails at once instead of running every trial without a value', async () => {
  const { result, dir } = await drive('silent', writesOtherMetrics([]));
  expect(result).toMatchObject({ status: 'failed', error: { code: 'CONFIG_INVALID', message: 'metric "val_acc": trial 0 (run silent-t0000) finished without writing any epoch_end event to logs/metrics.jsonl (README, The metrics protocol)' } });
  expect((await readTrials(dir)).map((t) => t.status)).toEqual(['finished']);
});
