import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../src/shared/run-events';
import { RunMetricsStore, batchX } from '../../../src/renderer/src/runs/run-metrics';

type EpochEnd = Extract<RunEvent, { event: 'epoch_end' }>;
const epoch = (n: number, loss: number): EpochEnd => ({
  event: 'epoch_end',
  time: '',
  epoch: n,
  epochs: 10,
  duration_ms: 1,
  samples_per_s: 1,
  loss,
  accuracy: 1 - loss,
  val_loss: loss + 0.1,
  val_accuracy: 0.9 - loss,
});
const values = (s: { x: ArrayLike<number>; y: ArrayLike<number>; length?: number }) =>
  Array.from({ length: s.length ?? 0 }, (_, i) => [s.x[i], s.y[i]]);

describe('RunMetricsStore', () => {
  test('appends in-order points to the same buffers (append-only for live charts)', () => {
    const store = new RunMetricsStore();
    store.addEvents([epoch(1, 0.9), epoch(2, 0.5)]);
    const first = store.epochChartSeries('loss');
    store.addEvents([epoch(3, 0.3)]);
    const second = store.epochChartSeries('loss');
    expect(second.x).toBe(first.x);
    expect(values(second)).toEqual([[1, 0.9], [2, 0.5], [3, 0.3]]);
    expect(values(store.epochChartSeries('val_loss'))).toEqual([[1, 1], [2, 0.6], [3, 0.4]]);
  });

  test('charts any metric name a command run writes, with gaps for the epochs before it appeared', () => {
    const store = new RunMetricsStore();
    store.addEvents([epoch(1, 0.9)]);
    store.addEvents([{ ...epoch(2, 0.5), f1: 0.7, val_f1: 0.6 } as EpochEnd, { ...epoch(3, 0.3), f1: 0.8, val_f1: 0.75, lr: 0.01 } as EpochEnd]);
    expect(store.extraEpochMetrics).toEqual(['f1', 'val_f1', 'lr']);
    expect(values(store.epochChartSeries('f1'))).toEqual([[1, NaN], [2, 0.7], [3, 0.8]]);
    expect(values(store.epochChartSeries('lr'))).toEqual([[1, NaN], [2, NaN], [3, 0.01]]);
    // In-order epochs with known names still append to the same buffers.
    const before = store.epochChartSeries('f1').x;
    store.addEvents([{ ...epoch(4, 0.2), f1: 0.9, val_f1: 0.8, lr: 0.01 } as EpochEnd]);
    expect(store.epochChartSeries('f1').x).toBe(before);
    expect(values(store.epochChartSeries('val_f1')).at(-1)).toEqual([4, 0.8]);
    // Fields that are not metrics are not charted.
    expect(store.extraEpochMetrics).not.toContain('duration_ms');
  });

  test('grows past the initial capacity', () => {
    const store = new RunMetricsStore();
    for (let i = 1; i <= 300; i++) store.addEpoch(epoch(i, 1 / i));
    const s = store.epochChartSeries('loss');
    expect(s.length).toBe(300);
    expect(s.x[299]).toBe(300);
  });

  test('a resumed run repeating epochs: the last record wins and the series is rebuilt (new arrays)', () => {
    const store = new RunMetricsStore();
    store.addEvents([epoch(1, 0.9), epoch(2, 0.5), epoch(3, 0.4)]);
    const before = store.epochChartSeries('loss');
    store.addEvents([epoch(3, 0.35), epoch(4, 0.3)]);
    const after = store.epochChartSeries('loss');
    expect(after.x).not.toBe(before.x);
    expect(values(after)).toEqual([[1, 0.9], [2, 0.5], [3, 0.35], [4, 0.3]]);
    expect(store.latestEpoch()?.epoch).toBe(4);
  });

  test('stored metrics and live events may overlap and arrive in any order; batches are kept once', () => {
    const store = new RunMetricsStore();
    const b = (e: number, n: number) => ({ epoch: e, batch: n, batches: 8, loss: e + n / 10, accuracy: 0.5 });
    store.addEvents([{ event: 'batch_end', time: '', ...b(2, 1) }]);
    store.addStored({ epochs: [epoch(1, 0.9)], batches: [b(1, 7), b(1, 8), b(2, 1)], offset: 10 });
    expect(values(store.batchChartSeries('loss'))).toEqual([[7, 1.7], [8, 1.8], [9, 2.1]]);
    expect(store.batchCount).toBe(3);
    expect(batchX(b(3, 2))).toBe(18);
  });
});
