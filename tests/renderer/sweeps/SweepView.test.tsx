import { cleanup, render, screen } from '@testing-library/react';
import { act } from 'react';
import { afterEach, expect, test } from 'vitest';
import { ApiProvider } from '../../../src/renderer/src/api/context';
import { SweepView } from '../../../src/renderer/src/sweeps/SweepView';
import type { EventPayloads, ExpmanApi } from '../../../src/shared/api';
import type { SweepDetail, TrialRecord } from '../../../src/shared/sweeps';

afterEach(cleanup);

const trial = (n: number, status: TrialRecord['status'], value?: number): TrialRecord => ({
  trial: n, point: n, repeat: 0, params: { 'training.learning_rate': 0.1 / (n + 1) }, run: `s-t000${n}`, status, ...(value !== undefined ? { value, epoch: 3 } : {}),
});

function detail(trials: TrialRecord[]): SweepDetail {
  const counts: SweepDetail['summary']['counts'] = {};
  for (const t of trials) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return {
    summary: { name: 's', experiment: 'e1', status: 'running', live: true, method: 'grid', metric: 'val_loss', goal: 'minimize', budget: 3, trials: trials.length, counts, best: null, updated: '2026-12-04T10:00:00Z' },
    parameters: [{ key: 'training.learning_rate', kind: 'values', values: [0.1, 0.05, 0.033] }],
    trials,
    state: { name: 's', experiment: 'e1', status: 'running', created: '2026-12-04T10:00:00Z', updated: '2026-12-04T10:00:00Z', elapsed_s: 0, sampler: { method: 'grid', seed: 0, next_point: 3 } },
    source: '',
  };
}

test('a live sweep follows sweeps:changed pushes for itself (no re-reads on a timer)', async () => {
  let reads = 0;
  let push: ((payload: EventPayloads['sweeps:changed']) => void) | undefined;
  const api = {
    sweepsGet: () => {
      reads++;
      return Promise.resolve(detail([trial(0, 'running'), trial(1, 'queued'), trial(2, 'queued')]));
    },
    onSweepsChanged: (listener: (payload: EventPayloads['sweeps:changed']) => void) => {
      push = listener;
      return () => (push = undefined);
    },
    onConnectionRestored: () => () => undefined,
  } as unknown as ExpmanApi;
  render(
    <ApiProvider api={api}>
      <SweepView experiment="e1" name="s" />
    </ApiProvider>,
  );
  expect((await screen.findByTestId('sweep-counts')).textContent).toMatch(/1 running, 2 queued/);
  // Another sweep's push changes nothing here; this sweep's push is shown as it comes.
  const other = detail([trial(0, 'finished', 0.2)]);
  act(() => push!({ sweeps: [{ ...other, summary: { ...other.summary, name: 'other' } }] }));
  expect(screen.getByTestId('sweep-counts').textContent).toMatch(/1 running, 2 queued/);
  act(() => push!({ sweeps: [detail([trial(0, 'finished', 0.2), trial(1, 'running'), trial(2, 'queued')])] }));
  expect(screen.getByTestId('sweep-counts').textContent).toMatch(/1 finished, 1 running, 1 queued/);
  // The old view read a live sweep again every 1.5 s; this one only reads it once.
  await act(() => new Promise((r) => setTimeout(r, 1700)));
  expect(reads).toBe(1);
  expect(screen.getByTestId('sweep-counts').textContent).toMatch(/1 finished, 1 running, 1 queued/);
});
