import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { driveSweep } from '../../../src/core/sweeps/controller.js';
import type { SweepDefinition } from '../../../src/core/sweeps/definition.js';
import type { TrialLauncher } from '../../../src/core/sweeps/launcher.js';
import { readTrials, sweepFiles } from '../../../src/core/sweeps/sweep-store.js';
import { newStatus, readStatus, writeStatus } from '../../../src/core/training/run-store.js';
import { paths, workspace } from '../../../src/core/workspace.js';
import type { SweepState } from '../../../src/shared/sweeps.js';

const data = mkdtempSync(join(tmpdir(), 'expman-sweep-prune-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

/** How long a pruned run takes to end: a command run's script may use its whole stop grace. */
const STOP_MS = 1500;

test('a pruned trial that is slow to stop does not hold up following (and pruning) the other trials', async () => {
  const ws = workspace(data);
  const stopsStarted = new Map<string, number>();
  const stopped = new Set<string>();
  // Runs that write one epoch of val_loss = x at once and train on until stopped; a stop takes STOP_MS.
  const slowToStop: TrialLauncher = {
    start: async (w, request) => {
      const dir = paths.modelDir(w, request.experiment, request.model);
      mkdirSync(join(dir, 'logs'), { recursive: true });
      const x = Number(/params\.x=(\S+)/.exec(request.overrides.join(' '))![1]);
      writeFileSync(join(dir, 'logs', 'metrics.jsonl'), `${JSON.stringify({ event: 'epoch_end', time: new Date().toISOString(), epoch: 1, epochs: 9, val_loss: x })}\n`);
      await writeStatus(dir, { ...newStatus(9), status: 'running', epoch: 1 });
    },
    resume: () => Promise.reject(new Error('not expected')),
    stop: async (w, run) => {
      stopsStarted.set(run.model, Date.now());
      await new Promise((r) => setTimeout(r, STOP_MS));
      const dir = paths.modelDir(w, run.experiment, run.model);
      await writeStatus(dir, { ...(await readStatus(dir))!, status: 'stopped' });
      stopped.add(run.model);
    },
    holds: (_w, run) => !stopped.has(run.model),
  };
  const dir = sweepFiles.dir(ws, 'default', 'slow');
  mkdirSync(dir, { recursive: true });
  const def: SweepDefinition = {
    name: 'slow', experiment: 'default', method: 'grid', metric: 'val_loss', goal: 'minimize', seed: 0, parallel: 3, repeats: 1, seedKey: 'training.seed',
    budget: { trials: 3 }, parameters: [{ key: 'params.x', dist: { kind: 'values', values: [0.1, 5, 6] } }], fixed: [], pruner: { type: 'asha', minEpochs: 1, eta: 3, maxEpochs: 9 }, tpe: {},
  };
  const now = new Date().toISOString();
  const state: SweepState = { name: 'slow', experiment: 'default', status: 'stopped', created: now, updated: now, elapsed_s: 0, sampler: { method: 'grid', seed: 0, next_point: 0 } };
  writeFileSync(sweepFiles.definition(dir), JSON.stringify(def));
  writeFileSync(sweepFiles.state(dir), JSON.stringify(state));
  writeFileSync(sweepFiles.trials(dir), '[]');
  const controller = new AbortController();
  // The good trial never ends by itself: stop the sweep once both bad ones are recorded pruned.
  const result = await driveSweep(ws, dir, {
    launcher: slowToStop,
    pollMs: 20,
    signal: controller.signal,
    onProgress: ({ trials }) => {
      if (trials.filter((t) => t.status === 'pruned').length === 2) controller.abort();
    },
  });
  expect(result.status).toBe('stopped');
  expect((await readTrials(dir)).map((t) => t.status)).toEqual(['stopped', 'pruned', 'pruned']);
  // Both bad trials were judged in the same pass: the second stop did not wait for the first to end.
  const [a, b] = [stopsStarted.get('slow-t0001')!, stopsStarted.get('slow-t0002')!];
  expect(Math.abs(a - b)).toBeLessThan(STOP_MS / 2);
  expect((await readStatus(paths.modelDir(ws, 'default', 'slow-t0001')))!.status).toBe('pruned');
});
