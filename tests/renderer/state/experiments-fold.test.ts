import { describe, expect, test } from 'vitest';
import type { ExperimentSummary, RunSummary } from '../../../src/shared/runs';
import { foldExperiments } from '../../../src/renderer/src/state/experiments-fold';

const run = (experiment: string, model: string, fields: Partial<RunSummary> = {}): RunSummary => ({
  experiment,
  model,
  dir: `/d/experiments/${experiment}/models/${model}`,
  status: 'running',
  live: null,
  epoch: 1,
  epochs: 10,
  best: null,
  started: `2026-12-04T10:00:0${model.length % 10}.000Z`,
  updated: '2026-12-04T10:00:01.000Z',
  ...fields,
});

const base: ExperimentSummary[] = [
  { name: 'default', hasConfig: false, runs: [] },
  { name: 'iris', hasConfig: true, runs: [run('iris', 'a', { started: '2026-12-04T09:00:00.000Z', status: 'finished' })] },
];

describe('foldExperiments', () => {
  test('a new run is inserted (oldest first), an update replaces it, other experiments keep their identity', () => {
    const added = foldExperiments(base, { channel: 'runs:changed', payload: { runs: [run('iris', 'b', { started: '2026-12-04T11:00:00.000Z' })] } });
    expect(added[1]!.runs.map((r) => r.model)).toEqual(['a', 'b']);
    expect(added[0]).toBe(base[0]);
    const updated = foldExperiments(added, { channel: 'runs:changed', payload: { runs: [run('iris', 'b', { started: '2026-12-04T11:00:00.000Z', epoch: 7, updated: '2026-12-04T11:00:07.000Z' })] } });
    expect(updated[1]!.runs[1]).toMatchObject({ model: 'b', epoch: 7 });
    expect(updated[1]!.runs[0]).toBe(added[1]!.runs[0]);
  });

  test('an older summary (a push computed before the list was read) does not undo a newer one', () => {
    const list = foldExperiments(base, { channel: 'runs:changed', payload: { runs: [run('iris', 'b', { status: 'finished', epoch: 10, updated: '2026-12-04T11:00:10.000Z' })] } });
    const stale = foldExperiments(list, { channel: 'runs:changed', payload: { runs: [run('iris', 'b', { status: 'running', epoch: 4, updated: '2026-12-04T11:00:04.000Z' })] } });
    expect(stale[1]!.runs.find((r) => r.model === 'b')).toMatchObject({ status: 'finished', epoch: 10 });
  });

  test('a run of an unknown experiment creates it; removals drop runs and experiments (default stays offered)', () => {
    const added = foldExperiments(base, { channel: 'runs:changed', payload: { runs: [run('cli', 'x')] } });
    expect(added.map((e) => e.name)).toEqual(['default', 'cli', 'iris']);
    const removedRun = foldExperiments(added, { channel: 'runs:removed', payload: { runs: [{ experiment: 'iris', model: 'a' }] } });
    expect(removedRun.find((e) => e.name === 'iris')!.runs).toEqual([]);
    const removed = foldExperiments(removedRun, { channel: 'experiments:removed', payload: { experiments: ['cli', 'default'] } });
    expect(removed.map((e) => e.name)).toEqual(['default', 'iris']);
    const config = foldExperiments(removed, { channel: 'experiments:changed', payload: { experiments: [{ name: 'default', hasConfig: true }, { name: 'b2', hasConfig: false }] } });
    expect(config.map((e) => [e.name, e.hasConfig])).toEqual([['default', true], ['b2', false], ['iris', true]]);
  });
});
