import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { driveSweep } from '../../../src/core/sweeps/controller.js';
import type { SweepDefinition } from '../../../src/core/sweeps/definition.js';
import type { TrialLauncher, TrialRequest } from '../../../src/core/sweeps/launcher.js';
import { readTrials, sweepFiles } from '../../../src/core/sweeps/sweep-store.js';
import { newStatus, writeStatus } from '../../../src/core/training/run-store.js';
import { paths, workspace, type Workspace } from '../../../src/core/workspace.js';
import type { RunRef } from '../../../src/shared/runs.js';
import type { SweepState } from '../../../src/shared/sweeps.js';

const data = mkdtempSync(join(tmpdir(), 'expman-sweep-arrays-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

/**
 * A launcher whose runs finish at once with val_loss = x (from the params.x override), recording how
 * trials were handed over: one by one (`start`) or together (`create` + `startArray`).
 */
function recordingLauncher(arrayable: boolean): { launcher: TrialLauncher; calls: { start: string[]; created: string[]; arrays: Array<{ runs: string[]; limit: number }> } } {
  const calls = { start: [] as string[], created: [] as string[], arrays: [] as Array<{ runs: string[]; limit: number }> };
  const finish = async (ws: Workspace, run: RunRef): Promise<void> => {
    const dir = paths.modelDir(ws, run.experiment, run.model);
    const x = created.get(run.model)!;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'metrics.jsonl'), `${JSON.stringify({ event: 'epoch_end', time: new Date().toISOString(), epoch: 1, epochs: 1, val_loss: x })}\n`);
    await writeStatus(dir, { ...newStatus(1), status: 'finished', epoch: 1 });
  };
  const created = new Map<string, number>();
  const make = async (ws: Workspace, request: TrialRequest): Promise<void> => {
    const dir = paths.modelDir(ws, request.experiment, request.model);
    mkdirSync(dir, { recursive: true });
    created.set(request.model, Number(/params\.x=(\S+)/.exec(request.overrides.join(' '))![1]));
    await writeStatus(dir, { ...newStatus(1, 'queued') });
  };
  const launcher: TrialLauncher = {
    start: async (ws, request) => {
      calls.start.push(request.model);
      await make(ws, request);
      await finish(ws, request);
    },
    resume: () => Promise.reject(new Error('not expected')),
    stop: () => Promise.resolve(),
    holds: () => false,
    arrays: {
      arrayable: () => Promise.resolve(arrayable),
      create: async (ws, request) => {
        calls.created.push(request.model);
        await make(ws, request);
      },
      startArray: async (ws, runs, limit) => {
        calls.arrays.push({ runs: runs.map((r) => r.model), limit });
        for (const run of runs) await finish(ws, run);
      },
    },
  };
  return { launcher, calls };
}

function sweepFolder(name: string, def: Partial<SweepDefinition>): string {
  const ws = workspace(data);
  const dir = sweepFiles.dir(ws, 'default', name);
  mkdirSync(dir, { recursive: true });
  const full: SweepDefinition = {
    name, experiment: 'default', method: 'grid', metric: 'val_loss', goal: 'minimize', seed: 3, parallel: 2, repeats: 1, seedKey: 'training.seed',
    budget: { trials: 4 }, parameters: [{ key: 'params.x', dist: { kind: 'values', values: [4, 3, 2, 1] } }], fixed: [], pruner: { type: 'none' }, tpe: {}, ...def,
  };
  const now = new Date().toISOString();
  const state: SweepState = { name, experiment: 'default', status: 'stopped', created: now, updated: now, elapsed_s: 0, sampler: { method: full.method, seed: 3, next_point: 0 } };
  writeFileSync(sweepFiles.definition(dir), JSON.stringify(full));
  writeFileSync(sweepFiles.state(dir), JSON.stringify(state));
  writeFileSync(sweepFiles.trials(dir), '[]');
  return dir;
}

describe('which sweeps start their trials together (one job array)', () => {
  test('a grid on a target with arrays: every point created, then one startArray with limit = parallel', async () => {
    const { launcher, calls } = recordingLauncher(true);
    const dir = sweepFolder('together', {});
    const state = await driveSweep(workspace(data), dir, { launcher, pollMs: 10 });
    expect(state).toMatchObject({ status: 'finished', reason: 'every grid point tried (4)' });
    const runs = ['together-t0000', 'together-t0001', 'together-t0002', 'together-t0003'];
    expect(calls).toEqual({ start: [], created: runs, arrays: [{ runs, limit: 2 }] });
    expect((await readTrials(dir)).map((t) => [t.status, t.value])).toEqual([['finished', 4], ['finished', 3], ['finished', 2], ['finished', 1]]);
  });

  test('random with a trial budget and repeats: one array of every trial', async () => {
    const { launcher, calls } = recordingLauncher(true);
    const dir = sweepFolder('random', { method: 'random', repeats: 2, budget: { trials: 2 }, parallel: 3, parameters: [{ key: 'params.x', dist: { kind: 'uniform', low: 0, high: 1 } }] });
    expect((await driveSweep(workspace(data), dir, { launcher, pollMs: 10 })).status).toBe('finished');
    expect(calls.start).toEqual([]);
    expect(calls.arrays).toEqual([{ runs: ['random-t0000', 'random-t0001', 'random-t0002', 'random-t0003'], limit: 3 }]);
  });

  test.each([
    ['TPE (each point depends on earlier results)', { method: 'tpe' as const, parameters: [{ key: 'params.x', dist: { kind: 'uniform' as const, low: 0, high: 1 } }] }, true],
    ['a time budget (decided trial by trial)', { budget: { trials: 4, seconds: 3600 } }, true],
    ['a target without arrays (local, SSH)', {}, false],
  ])('%s: one trial at a time', async (what, def, arrayable) => {
    const { launcher, calls } = recordingLauncher(arrayable);
    const dir = sweepFolder(`single-${what.length}`, def);
    expect((await driveSweep(workspace(data), dir, { launcher, pollMs: 10 })).status).toBe('finished');
    expect(calls.arrays).toEqual([]);
    expect(calls.created).toEqual([]);
    expect(calls.start).toHaveLength(4);
  });
});
