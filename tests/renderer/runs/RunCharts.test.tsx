// Which charts a run gets: RunCharts' choice, with MetricChart replaced by its title and series labels
// (the drawing is MetricChart's own test and bench/ui-charts.mjs).
import { cleanup, render } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import type { RunEvent } from '../../../src/shared/run-events';
import type { ChartSeries } from '../../../src/renderer/src/charts/chart-data';

vi.mock('../../../src/renderer/src/charts/MetricChart', () => ({
  MetricChart: ({ title, series }: { title: string; series: ChartSeries[] }) => <div data-chart={title}>{series.map((s) => s.label).join(',')}</div>,
}));
const { RunCharts } = await import('../../../src/renderer/src/runs/RunCharts');
const { RunMetricsStore } = await import('../../../src/renderer/src/runs/run-metrics');

afterEach(cleanup);

type EpochEnd = Extract<RunEvent, { event: 'epoch_end' }>;
const epoch = (n: number, extra: Record<string, number> = {}): EpochEnd =>
  ({ event: 'epoch_end', time: '', epoch: n, epochs: 3, loss: 1 / n, accuracy: 0.5, val_loss: 1 / n, val_accuracy: 0.5, ...extra }) as EpochEnd;

const charts = (container: HTMLElement): Array<[string, string]> =>
  [...container.querySelectorAll('[data-chart]')].map((el) => [el.getAttribute('data-chart')!, el.textContent ?? '']);

test('a command run that reports epochs only: its own metrics get charts (with their val_ twin), no empty per-batch charts', () => {
  const store = new RunMetricsStore();
  store.addEvents([epoch(1, { f1: 0.5, val_f1: 0.4, lr: 0.01 }), epoch(2, { f1: 0.6, val_f1: 0.5, lr: 0.01 })]);
  const { container } = render(<RunCharts store={store} version={store.version} />);
  expect(charts(container)).toEqual([
    ['Loss per epoch', 'loss,val_loss'],
    ['Accuracy per epoch', 'accuracy,val_accuracy'],
    ['f1 per epoch', 'f1,val_f1'],
    ['lr per epoch', 'lr'],
  ]);
});

test('a built-in run keeps its four charts', () => {
  const store = new RunMetricsStore();
  store.addEvents([epoch(1), { event: 'batch_end', time: '', epoch: 1, batch: 1, batches: 2, loss: 1 }]);
  const { container } = render(<RunCharts store={store} version={store.version} />);
  expect(charts(container).map(([title]) => title)).toEqual(['Loss per epoch', 'Accuracy per epoch', 'Loss per batch', 'Accuracy per batch']);
});
