import { describe, expect, test } from 'vitest';
import {
  DownsampleBuffer,
  downsampleGrowing,
  downsampleMinMax,
  downsampleRange,
  lowerBound,
  maxDownsampledPoints,
  upperBound,
} from '../../../src/renderer/src/charts/downsample';

/** A noisy random walk with a few spikes, seeded. */
function walk(n: number, seed = 1): { x: Float64Array; y: Float64Array } {
  let s = seed;
  const random = (): number => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    x[i] = i * 0.5;
    v += random() - 0.5;
    y[i] = random() < 0.001 ? v + 50 * (random() - 0.5) : v;
  }
  return { x, y };
}

/** Per-bucket extremes computed the slow, obvious way. */
function bucketExtremes(x: ArrayLike<number>, y: ArrayLike<number>, from: number, to: number, buckets: number) {
  const out = new Map<number, { min: number; max: number; first: number; last: number }>();
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < from || x[i]! > to || !Number.isFinite(y[i]!)) continue;
    const b = Math.min(buckets - 1, Math.floor((x[i]! - from) * (buckets / (to - from))));
    const e = out.get(b);
    if (!e) out.set(b, { min: y[i]!, max: y[i]!, first: i, last: i });
    else {
      e.min = Math.min(e.min, y[i]!);
      e.max = Math.max(e.max, y[i]!);
      e.last = i;
    }
  }
  return out;
}

function pairs(d: { x: Float64Array; y: Float64Array }): Set<string> {
  return new Set(Array.from(d.x, (x, i) => `${x}:${d.y[i]}`));
}

describe('downsampleMinMax', () => {
  test('keeps the first and last point and every bucket’s minimum and maximum, in x order, within 4 points per bucket', () => {
    const { x, y } = walk(100_000);
    const buckets = 800;
    const d = downsampleMinMax(x, y, buckets);
    expect(d.x.length).toBeLessThanOrEqual(4 * buckets);
    expect(d.x.length).toBeGreaterThan(2 * buckets);
    expect(d.x[0]).toBe(x[0]);
    expect(d.y[0]).toBe(y[0]);
    expect(d.x[d.x.length - 1]).toBe(x[x.length - 1]);
    expect(d.y[d.y.length - 1]).toBe(y[y.length - 1]);
    for (let i = 1; i < d.x.length; i++) expect(d.x[i]!).toBeGreaterThan(d.x[i - 1]!);
    const kept = pairs(d);
    const extremes = bucketExtremes(x, y, x[0]!, x[x.length - 1]!, buckets);
    expect(extremes.size).toBe(buckets);
    for (const e of extremes.values()) {
      expect(d.y.includes(e.min)).toBe(true);
      expect(d.y.includes(e.max)).toBe(true);
      expect(kept.has(`${x[e.first]}:${y[e.first]}`)).toBe(true);
      expect(kept.has(`${x[e.last]}:${y[e.last]}`)).toBe(true);
    }
    // every kept point is an input point
    const input = pairs({ x, y });
    for (const p of kept) expect(input.has(p)).toBe(true);
    // the global extremes survive
    expect(Math.max(...d.y)).toBe(Math.max(...y));
    expect(Math.min(...d.y)).toBe(Math.min(...y));
  });

  test('returns short series whole and skips non-finite points', () => {
    const x = [0, 1, 2, 3, 4];
    const y = [1, NaN, 3, Infinity, 5];
    const d = downsampleMinMax(x, y, 100);
    expect(Array.from(d.x)).toEqual([0, 2, 4]);
    expect(Array.from(d.y)).toEqual([1, 3, 5]);
  });

  test('a single bucket keeps first, min, max and last', () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const y = [5, 4, 9, 3, 1, 6, 7, 2, 8, 6];
    const d = downsampleMinMax(x, y, 1);
    expect(Array.from(d.x)).toEqual([0, 2, 4, 9]);
    expect(Array.from(d.y)).toEqual([5, 9, 1, 6]);
  });

  test('uses only the first `length` points (growable buffers) and reuses its output buffer', () => {
    const x = new Float64Array(1000).map((_, i) => i);
    const y = new Float64Array(1000).map((_, i) => (i < 500 ? i : 1e9));
    const buffer = new DownsampleBuffer();
    const d = downsampleMinMax(x, y, 10, 500, buffer);
    expect(Math.max(...d.y)).toBe(499);
    expect(d.x.buffer).toBe(buffer.x.buffer);
    const again = downsampleMinMax(x, y, 10, 500, buffer);
    expect(again.x.buffer).toBe(buffer.x.buffer);
  });

  test('rejects a bad bucket count or a length past the data', () => {
    expect(() => downsampleMinMax([0], [0], 0)).toThrow(/buckets must be a positive integer, got 0/);
    expect(() => downsampleMinMax([0, 1], [0, 1], 4, 3)).toThrow(/length 3 exceeds the series/);
  });
});

describe('downsampleRange', () => {
  test('re-buckets only the visible range at full resolution, plus one neighbour beyond each edge', () => {
    const { x, y } = walk(200_000, 7);
    const from = 20_000;
    const to = 20_400; // 800 points in view
    const buckets = 100;
    const d = downsampleRange(x, y, from, to, buckets);
    expect(d.x.length).toBeLessThanOrEqual(maxDownsampledPoints(buckets));
    expect(d.x[0]).toBe(from - 0.5);
    expect(d.x[d.x.length - 1]).toBe(to + 0.5);
    const inside = { x: d.x.slice(1, -1), y: d.y.slice(1, -1) };
    for (const v of inside.x) expect(v >= from && v <= to).toBe(true);
    for (const e of bucketExtremes(x, y, from, to, buckets).values()) {
      expect(inside.y.includes(e.min)).toBe(true);
      expect(inside.y.includes(e.max)).toBe(true);
    }
    // zooming in shows more detail than the whole-series downsampling had in that range
    const whole = downsampleMinMax(x, y, buckets);
    const wholeInRange = whole.x.filter((v) => v >= from && v <= to).length;
    expect(inside.x.length).toBeGreaterThan(wholeInRange);
  });

  test('a range inside one gap between points still draws the line through it', () => {
    const d = downsampleRange([0, 10, 20], [1, 2, 3], 12, 15, 50);
    expect(Array.from(d.x)).toEqual([10, 20]);
  });

  test('rejects an empty range', () => {
    expect(() => downsampleRange([0, 1], [0, 1], 2, 1, 10)).toThrow(/range \[2, 1\] is empty/);
  });
});

test('lowerBound and upperBound find the edges of runs of equal values', () => {
  const x = [1, 2, 2, 2, 5];
  expect(lowerBound(x, 2)).toBe(1);
  expect(upperBound(x, 2)).toBe(4);
  expect(lowerBound(x, 6)).toBe(5);
  expect(upperBound(x, 0)).toBe(0);
  expect(lowerBound(x, 5, 4)).toBe(4);
});

test('downsampleGrowing resumed after each append equals bucketing everything at once', () => {
  const { x, y } = walk(50_000, 3);
  const grid = [0, 30_000] as const;
  const buffer = new DownsampleBuffer();
  let resumed = downsampleGrowing(x, y, grid[0], grid[1], 300, 5, buffer, false);
  for (const length of [6, 100, 1_000, 1_001, 20_000, 45_000, 50_000]) resumed = downsampleGrowing(x, y, grid[0], grid[1], 300, length, buffer, true);
  const whole = downsampleGrowing(x, y, grid[0], grid[1], 300, 50_000, new DownsampleBuffer(), false);
  expect(Array.from(resumed.x)).toEqual(Array.from(whole.x));
  expect(Array.from(resumed.y)).toEqual(Array.from(whole.y));
  expect(Array.from(resumed.index)).toEqual(Array.from(whole.index));
  expect(whole.x.length).toBeLessThanOrEqual(4 * 300);
});
