import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test } from 'vitest';
import { ApiProvider } from '../../../src/renderer/src/api/context';
import { RunErrorBox, StopRunButton } from '../../../src/renderer/src/runs/RunLiveControls';
import { ExperimentRuns } from '../../../src/renderer/src/views/ExperimentView';
import { HomeView } from '../../../src/renderer/src/views/HomeView';
import type { ExpmanApi } from '../../../src/shared/api';
import type { RunSummary } from '../../../src/shared/runs';
import { MemoryApi } from '../archive/memory-api';
import { renderInApp } from '../archive/render';

afterEach(cleanup);

function run(model: string, extra: Partial<RunSummary> = {}): RunSummary {
  return { experiment: 'e1', model, dir: `/d/experiments/e1/models/${model}`, status: 'finished', live: null, epoch: 5, epochs: 5, best: null, started: '2026-12-04T08:00:00Z', ...extra };
}

const RUNS = [
  run('cli-run', { status: 'running', live: 'here', pid: 4242, host: 'this-host', started: '2026-12-04T09:00:00Z' }),
  run('slurm-run', { status: 'running', live: 'elsewhere', pid: 77, host: 'gpu-node-7', started: '2026-12-04T08:50:00Z' }),
  run('waiting', { status: 'queued', epoch: 0, started: '2026-12-04T08:40:00Z' }),
  run('crashed', {
    status: 'failed',
    started: '2026-12-04T08:30:00Z',
    error: { code: 'WORKER_FAILED', message: 'training stopped: the worker exited with code 1', stderr_tail: ['Error: out of memory', '    at train (train.js:10)'] },
  }),
];

/** The memory API with `runs:stop-run` recorded and left pending until the test settles it. */
function withStopRun(memory: MemoryApi): { api: MemoryApi; stops: Array<{ request: unknown; settle: () => void }> } {
  const stops: Array<{ request: unknown; settle: () => void }> = [];
  const asApi = memory.asApi.bind(memory);
  memory.asApi = (): ExpmanApi =>
    ({
      ...asApi(),
      runsStopRun: (request: unknown) => new Promise((resolve) => stops.push({ request, settle: () => resolve(RUNS[0]!) })),
    });
  return { api: memory, stops };
}

const rowOf = (table: HTMLElement, model: string): HTMLElement => within(table).getByRole('link', { name: model }).closest('tr, [role="row"]')!;

test.each([
  ['experiment runs table', <ExperimentRuns key="e" experiment="e1" />, 'experiment-runs'],
  ['all-runs table', <HomeView key="h" />, 'runs-table'],
] as const)('the %s: Stop for a run live here, the host of one elsewhere, queued badge, failure as tooltip', async (_name, ui, testId) => {
  const { api, stops } = withStopRun(new MemoryApi({ runs: RUNS }));
  renderInApp(api, ui);
  const table = await screen.findByTestId(testId);

  const here = rowOf(table, 'cli-run');
  await userEvent.click(within(here).getByRole('button', { name: 'Stop' }));
  expect(stops.map((s) => s.request)).toEqual([{ experiment: 'e1', model: 'cli-run' }]);

  const elsewhere = rowOf(table, 'slurm-run');
  expect(within(elsewhere).queryByRole('button', { name: 'Stop' })).toBeNull();
  expect(within(elsewhere).getByTestId('run-elsewhere').textContent).toBe('running on gpu-node-7');

  expect(rowOf(table, 'waiting').querySelector('[data-status]')!.getAttribute('data-status')).toBe('queued');

  const crashed = rowOf(table, 'crashed');
  const status = crashed.querySelector('[data-status="failed"]')!.closest('td, [role="cell"]')!;
  expect(status.getAttribute('title')).toBe('training stopped: the worker exited with code 1\n\nError: out of memory\n    at train (train.js:10)');
  expect(within(crashed).queryByRole('button', { name: 'Stop' })).toBeNull();
  stops[0]!.settle();
});

test('a stop that stays pending offers Kill now, which stops with force', async () => {
  const { api, stops } = withStopRun(new MemoryApi({ runs: RUNS }));
  render(
    <ApiProvider api={api.asApi()}>
      <StopRunButton run={{ experiment: 'e1', model: 'cli-run' }} killOfferMs={80} />
    </ApiProvider>,
  );
  await userEvent.click(screen.getByRole('button', { name: 'Stop' }));
  expect(screen.getByRole('button', { name: 'Stopping…' })).toHaveProperty('disabled', true);
  expect(screen.queryByRole('button', { name: 'Kill now' })).toBeNull();
  await userEvent.click(await screen.findByRole('button', { name: 'Kill now' }));
  expect(stops.map((s) => s.request)).toEqual([
    { experiment: 'e1', model: 'cli-run' },
    { experiment: 'e1', model: 'cli-run', force: true },
  ]);
  for (const s of stops) s.settle();
  expect(await screen.findByRole('button', { name: 'Stop' })).toHaveProperty('disabled', false);
  expect(screen.queryByRole('button', { name: 'Kill now' })).toBeNull();
});

test('a failed run shows its message and its last stderr lines in a folded monospace block', async () => {
  render(<RunErrorBox error={RUNS[3]!.error!} />);
  const box = screen.getByTestId('run-error');
  expect(box.firstElementChild!.textContent).toBe('training stopped: the worker exited with code 1');
  const details = box.querySelector('details')!;
  expect(details.open).toBe(false);
  expect(details.querySelector('summary')!.textContent).toBe('Last stderr lines (2)');
  expect(details.querySelector('pre')!.textContent).toBe('Error: out of memory\n    at train (train.js:10)');
});
