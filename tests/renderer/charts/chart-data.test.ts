import { expect, test } from 'vitest';
import { ChartDataModel, dataExtent, joinLines, type ChartSeries } from '../../../src/renderer/src/charts/chart-data';
import { smoothEma } from '../../../src/renderer/src/charts/smoothing';
import { clampRange, panRange, zoomRange } from '../../../src/renderer/src/charts/x-range';

function ramp(id: string, n: number, offset = 0): ChartSeries {
  const x = new Float64Array(n).map((_, i) => i + offset);
  const y = new Float64Array(n).map((_, i) => Math.sin(i / 50) + (i % 13 === 0 ? 2 : 0));
  return { id, label: id, x, y };
}

const options = { buckets: 100, xRange: null, smoothing: 0, logScale: false } as const;

test('all series share one x axis and one bucket grid over the joint extent', () => {
  const model = new ChartDataModel();
  const a = ramp('a', 10_000);
  const b = ramp('b', 5_000, 2_500);
  const prepared = model.prepare([a, b], options);
  expect(prepared.extent).toEqual([0, 9_999]);
  const [x, ya, yb] = prepared.data;
  expect(ya).toHaveLength(x.length);
  expect(yb).toHaveLength(x.length);
  // b lies in the middle of the grid: its points fall on the same bucket edges as a's
  const bx = Array.from(x).filter((_, i) => yb![i] !== null);
  expect(bx[0]).toBe(2_500);
  expect(bx[bx.length - 1]).toBe(7_499);
  expect(prepared.points).toBeLessThanOrEqual(2 * (4 * 100 + 2));
});

test('with smoothing each series has a raw and a smoothed line, the smoothed one from full resolution', () => {
  const model = new ChartDataModel();
  const a = ramp('a', 300);
  const prepared = model.prepare([a], { ...options, buckets: 1000, smoothing: 0.9 });
  expect(prepared.data).toHaveLength(3);
  const smooth = smoothEma(a.y, 0.9);
  expect(prepared.data[2]).toEqual(Array.from(smooth));
  expect(prepared.data[1]).toEqual(Array.from(a.y));
});

test('a growing buffer is smoothed and bucketed incrementally: every drawn point is exact', () => {
  const model = new ChartDataModel();
  const full = ramp('a', 20_000);
  let prepared = model.prepare([{ ...full, length: 10 }], { ...options, smoothing: 0.8 });
  for (const length of [500, 1_999, 2_000, 7_000, 7_001, 20_000]) prepared = model.prepare([{ ...full, length }], { ...options, smoothing: 0.8 });
  const smooth = smoothEma(full.y, 0.8);
  const [x, raw, smoothed] = prepared.data;
  expect(x[0]).toBe(0);
  expect(x[x.length - 1]).toBe(19_999);
  expect(x.length).toBeLessThanOrEqual(4 * 100);
  x.forEach((xi, i) => {
    expect(raw![i]).toBe(full.y[xi]);
    expect(smoothed![i]).toBe(smooth[xi]);
  });
  // the extremes of the raw data survive the incremental bucketing
  expect(Math.max(...(raw as number[]))).toBe(Math.max(...Array.from(full.y)));
  expect(Math.min(...(raw as number[]))).toBe(Math.min(...Array.from(full.y)));
});

test('a zoomed view re-buckets the points in range', () => {
  const model = new ChartDataModel();
  const a = ramp('a', 100_000);
  const zoomed = model.prepare([a], { ...options, xRange: [1_000, 1_200] });
  const x = zoomed.data[0];
  expect(x[0]).toBe(999);
  expect(x[x.length - 1]).toBe(1_201);
  expect(x.length).toBe(203); // 201 points in view fit 4 per bucket: all kept
});

test('log scale leaves out values ≤ 0 as gaps', () => {
  const model = new ChartDataModel();
  const prepared = model.prepare([{ id: 'a', label: 'a', x: [1, 2, 3], y: [0.5, 0, -1] }], { ...options, logScale: true });
  expect(prepared.data[1]).toEqual([0.5, null, null]);
});

test('hover values are the nearest full-resolution point; +Infinity gives the last one', () => {
  const model = new ChartDataModel();
  const s: ChartSeries = { id: 'a', label: 'a', x: [0, 10, 20], y: [3, 2, 1] };
  expect(model.valueAt(s, 14, 0)).toEqual({ x: 10, raw: 2 });
  expect(model.valueAt(s, 16, 0)).toEqual({ x: 20, raw: 1 });
  expect(model.valueAt(s, Infinity, 0)).toEqual({ x: 20, raw: 1 });
  const smoothed = model.valueAt(s, -5, 0.5);
  expect(smoothed).toEqual({ x: 0, raw: 3, smoothed: 3 });
  expect(model.valueAt({ ...s, x: [], y: [] }, 1, 0)).toBeNull();
});

test('rejects duplicate ids and lengths past the data', () => {
  const model = new ChartDataModel();
  expect(() => model.prepare([ramp('a', 3), ramp('a', 3)], options)).toThrow(/"a" is used twice/);
  expect(() => model.prepare([{ ...ramp('b', 3), length: 4 }], options)).toThrow(/"b": length 4 exceeds its data \(3 points\)/);
});

test('joinLines puts lines with different x on their union, null where a line has no point', () => {
  const { data } = joinLines(
    [
      { x: Float64Array.of(0, 2), y: Float64Array.of(1, 2) },
      { x: Float64Array.of(1, 2, 3), y: Float64Array.of(5, 6, 7) },
    ],
    false,
  );
  expect(Array.from(data[0])).toEqual([0, 1, 2, 3]);
  expect(data[1]).toEqual([1, null, 2, null]);
  expect(data[2]).toEqual([null, 5, 6, 7]);
  expect(dataExtent([])).toBeNull();
});

test('zoom and pan arithmetic stays inside the data', () => {
  expect(zoomRange([0, 100], 50, 0.5)).toEqual([25, 75]);
  expect(panRange([10, 20], 5)).toEqual([15, 25]);
  expect(clampRange([-10, 10], [0, 100])).toEqual([0, 20]);
  expect(clampRange([95, 105], [0, 100])).toEqual([90, 100]);
  expect(clampRange([-10, 200], [0, 100])).toBeNull();
  expect(clampRange([5, 5], [0, 100])).toBeNull();
});
