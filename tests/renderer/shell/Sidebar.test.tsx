import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Sidebar } from '../../../src/renderer/src/shell/Sidebar';
import { distinguishingLabels } from '../../../src/renderer/src/shell/run-labels';
import { ExperimentRuns } from '../../../src/renderer/src/views/ExperimentView';
import type { RunSummary } from '../../../src/shared/runs';
import { MemoryApi } from '../archive/memory-api';
import { renderInApp } from '../archive/render';

afterEach(cleanup);
beforeEach(() => localStorage.clear());

const LONG = 'a-really-long-run-name-that-goes-on-and-on-with-learning-rate-0.001-and-hidden-units-64-64-64';

function run(model: string, started: string, extra: Partial<RunSummary> = {}): RunSummary {
  return { experiment: 'e1', model, dir: `/d/experiments/e1/models/${model}`, status: 'finished', live: null, epoch: 5, epochs: 5, best: null, started, ...extra };
}

const RUNS = [
  run('run-20261204-083015', '2026-12-04T08:30:15Z'),
  run('run-20261204-091200', '2026-12-04T09:12:00Z', { testScore: { metric: 'accuracy', value: 0.9667 } }),
  run('run-20261204-085959', '2026-12-04T08:59:59Z'),
];

test('the sidebar shows the part of run names that differs, newest first, full name on hover', async () => {
  renderInApp(new MemoryApi({ runs: RUNS }), <Sidebar route={{ view: 'home' }} />);
  const links = await screen.findAllByRole('link', { name: /…\d{6}/ });
  expect(links.map((link) => link.querySelector('.name')!.textContent)).toEqual(['…091200', '…085959', '…083015']);
  expect(links.map((link) => link.getAttribute('title'))).toEqual(['run-20261204-091200', 'run-20261204-085959', 'run-20261204-083015']);
});

test('experiments fold and stay folded after a reload', async () => {
  const api = new MemoryApi({ runs: RUNS });
  renderInApp(api, <Sidebar route={{ view: 'home' }} />);
  await screen.findAllByRole('link', { name: /…\d{6}/ });
  await userEvent.click(screen.getByRole('button', { name: 'Fold e1' }));
  expect(screen.queryAllByRole('link', { name: /…\d{6}/ })).toEqual([]);
  cleanup();

  renderInApp(api, <Sidebar route={{ view: 'home' }} />);
  expect(await screen.findByRole('button', { name: 'Unfold e1' })).toHaveProperty('ariaExpanded', 'false');
  expect(screen.queryAllByRole('link', { name: /…\d{6}/ })).toEqual([]);
  await userEvent.click(screen.getByRole('button', { name: 'Unfold e1' }));
  expect(await screen.findAllByRole('link', { name: /…\d{6}/ })).toHaveLength(3);
});

test('distinguishing labels cut only at a separator and leave a single or unrelated name whole', () => {
  expect([...distinguishingLabels(['run-7', 'run-8']).values()]).toEqual(['…7', '…8']);
  expect([...distinguishingLabels(['baseline', 'bigger']).values()]).toEqual(['baseline', 'bigger']);
  expect([...distinguishingLabels(['run-20261204-083015']).values()]).toEqual(['run-20261204-083015']);
  // a differently named run does not stop the default-named ones from being shortened
  const mixed = distinguishingLabels(['run-20261204-112409', LONG, 'run-20261204-112416']);
  expect([mixed.get('run-20261204-112409'), mixed.get(LONG), mixed.get('run-20261204-112416')]).toEqual(['…112409', LONG, '…112416']);
});

test('the runs table: newest first, long names cut with the full name as title, and a test score column (accuracy, or R² for regression)', async () => {
  renderInApp(new MemoryApi({ runs: [...RUNS, run(LONG, '2026-12-03T10:00:00Z', { testScore: { metric: 'r2', value: 0.5312 } })] }), <ExperimentRuns experiment="e1" />);
  const table = await screen.findByTestId('experiment-runs');
  const header = within(table).getAllByRole('columnheader').map((th) => th.textContent);
  expect(header).toContain('Test score');
  const rows = within(table).getAllByRole('row').slice(1);
  expect(rows.map((row) => row.querySelector('[role="cell"]')!.textContent)).toEqual(['run-20261204-091200', 'run-20261204-085959', 'run-20261204-083015', LONG]);
  const longCell = rows[3]!.querySelector('[role="cell"]')!;
  expect(longCell.classList.contains('name')).toBe(true);
  expect(longCell.getAttribute('title')).toBe(LONG);
  const testColumn = header.indexOf('Test score');
  expect(rows[0]!.querySelectorAll('[role="cell"]')[testColumn]!.textContent).toBe('0.9667');
  expect(rows[1]!.querySelectorAll('[role="cell"]')[testColumn]!.textContent).toBe('–');
  expect(rows[3]!.querySelectorAll('[role="cell"]')[testColumn]!.textContent).toBe('R² 0.5312');
});

test('a run on a target shows where (its target) with the job in words on hover, and the filter finds it', async () => {
  const onCluster = run('run-20261204-100000', '2026-12-04T10:00:00Z', {
    status: 'queued',
    executor: { executor: 'slurm', target: 'cluster', host: 'login1', job_id: '4711', submitted: '2026-12-04T10:00:00Z', state: 'PENDING', reason: 'Priority' },
  });
  renderInApp(new MemoryApi({ runs: [...RUNS, onCluster] }), <Sidebar route={{ view: 'home' }} />);
  await screen.findAllByRole('link', { name: /…\d{6}/ });
  const badge = document.querySelector('[data-run="e1/run-20261204-100000"] .where')!;
  expect(badge.textContent).toBe('cluster');
  expect(badge.getAttribute('title')).toBe('slurm:cluster — Slurm job 4711 PENDING (Priority)');
  expect(document.querySelectorAll('.sidebar .where')).toHaveLength(1);
  await userEvent.type(screen.getByRole('searchbox', { name: 'Filter experiments and runs' }), 'slurm');
  // (alone in the list, the run is labelled by its whole name)
  expect([...document.querySelectorAll('a.item.run[data-run]')].map((a) => a.getAttribute('data-run'))).toEqual(['e1/run-20261204-100000']);
});

test('an experiment of thousands of runs lists the newest 50 and links to its runs table for the rest', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => run(`run-${String(i).padStart(5, '0')}`, new Date(Date.UTC(2026, 11, 4) + i * 1000).toISOString()));
  renderInApp(new MemoryApi({ runs: many }), <Sidebar route={{ view: 'home' }} />);
  const more = await screen.findByTestId('sidebar-more-runs');
  expect(more.textContent).toBe('2,950 more in the runs table');
  expect(more.getAttribute('href')).toBe('#/experiments/e1');
  const links = document.querySelectorAll('a.item.run[data-run]');
  expect(links).toHaveLength(50);
  expect(links[0]!.getAttribute('data-run')).toBe('e1/run-02999');
  // the filter still finds any run, listed the same way
  await userEvent.type(screen.getByRole('searchbox', { name: 'Filter experiments and runs' }), 'run-0001');
  expect([...document.querySelectorAll('a.item.run[data-run]')].map((a) => a.getAttribute('data-run'))).toHaveLength(10);
});
