// Turns full-resolution metric series into what uPlot draws: every series smoothed (incrementally, as
// it grows), downsampled on one shared bucket grid (so overlaid runs are treated alike), and joined on
// one x axis. Results are cached per series, so a redraw redoes only the series whose data or view changed.

import { DownsampleBuffer, downsampleGrowing, downsampleRange, lowerBound, type Downsampled, type NumArray } from './downsample';
import { createEma, emaExtend, type EmaState } from './smoothing';

/** One line of a chart: full-resolution points, x non-decreasing. */
export interface ChartSeries {
  /** stable identity (a run id, a metric name): keys caches, colours and show/hide */
  readonly id: string;
  readonly label: string;
  readonly x: NumArray;
  readonly y: NumArray;
  /**
   * How many points are in use (default: the shorter of x and y), so that a live run can pass
   * capacity-doubling typed buffers. While x and y keep their identity they are treated as append-only:
   * pass new arrays when earlier points change.
   */
  readonly length?: number;
  /** CSS colour; default: the chart's palette (--series-1 … --series-8) by position */
  readonly color?: string;
  /** draw the points unjoined (a scatter plot, e.g. predicted vs actual) instead of a line */
  readonly points?: boolean;
  /**
   * An edge of a shaded band around the series with id `of` (mean ± std of grouped runs): not a line,
   * no legend entry; the area between the `upper` and `lower` edges is filled in that series' colour.
   */
  readonly band?: { readonly of: string; readonly side: 'upper' | 'lower' };
}

export interface PrepareOptions {
  /** bucket count: the plot's width in CSS pixels */
  readonly buckets: number;
  /** the visible x range when zoomed; null shows everything */
  readonly xRange: readonly [number, number] | null;
  /** debiased EMA weight, 0 (off) … 0.999 */
  readonly smoothing: number;
  /** y ≤ 0 has no place on a log axis: such points become gaps */
  readonly logScale: boolean;
}

export interface PreparedChart {
  /**
   * uPlot's aligned data: [x, then per series its raw line and, when smoothing > 0, its smoothed line].
   * Null marks "no point of this line here" (uPlot bridges it with spanGaps).
   */
  readonly data: [Float64Array, ...(number | null)[][]];
  /** the x extent of all the data, whatever the zoom; null when there is no point */
  readonly extent: readonly [number, number] | null;
  /** how many (x, line) points are drawn, for the curious and the benchmark */
  readonly points: number;
}

export interface PointValue {
  readonly x: number;
  readonly raw: number;
  /** present when smoothing is on */
  readonly smoothed?: number;
}

const EMPTY: Downsampled = { x: new Float64Array(0), y: new Float64Array(0), index: new Int32Array(0) };

class SeriesCache {
  // the arrays the smoothed copy was computed from, and how far
  smoothX: NumArray | null = null;
  smoothY: NumArray | null = null;
  ema: EmaState | null = null;
  smoothed = new Float64Array(0);
  // the arrays and view the downsampled lines were computed from
  viewX: NumArray | null = null;
  viewY: NumArray | null = null;
  viewKey = '';
  viewLength = 0;
  readonly rawBuffer = new DownsampleBuffer();
  raw: Downsampled = EMPTY;
  /** the smoothed values at the raw line's points */
  smoothAtRaw = new Float64Array(0);

  /**
   * Brings the smoothed copy up to `length`, smoothing only the new points when the data only grew.
   * Idempotent, so it is safe to call while rendering.
   */
  updateSmoothing(series: ChartSeries, length: number, weight: number): void {
    const grew = this.smoothX === series.x && this.smoothY === series.y && this.ema !== null && length >= this.ema.done;
    if (!grew || this.ema === null || this.ema.weight !== weight) this.ema = createEma(weight);
    this.smoothX = series.x;
    this.smoothY = series.y;
    if (this.smoothed.length < length) {
      const bigger = new Float64Array(Math.max(length, this.smoothed.length * 2));
      bigger.set(this.smoothed.subarray(0, this.ema.done));
      this.smoothed = bigger;
    }
    emaExtend(this.ema, series.y, length, this.smoothed);
  }

  pickSmoothed(): void {
    const { index } = this.raw;
    if (this.smoothAtRaw.length < index.length) this.smoothAtRaw = new Float64Array(Math.max(index.length, this.smoothAtRaw.length * 2));
    for (let i = 0; i < index.length; i++) this.smoothAtRaw[i] = this.smoothed[index[i]!]!;
  }
}

export function seriesLength(series: ChartSeries): number {
  const available = Math.min(series.x.length, series.y.length);
  if (series.length === undefined) return available;
  if (!(Number.isInteger(series.length) && series.length >= 0 && series.length <= available)) {
    throw new RangeError(`chart series "${series.id}": length ${series.length} exceeds its data (${available} points)`);
  }
  return series.length;
}

/** The x extent over all series (each sorted, so its first and last points bound it). */
export function dataExtent(series: readonly ChartSeries[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    const n = seriesLength(s);
    if (n === 0) continue;
    const first = s.x[0]!;
    const last = s.x[n - 1]!;
    if (first < min) min = first;
    if (last > max) max = last;
  }
  return min <= max ? [min, max] : null;
}

/** Stateful preparer, one per chart: keeps per-series smoothing and downsampling between redraws. */
export class ChartDataModel {
  private readonly caches = new Map<string, SeriesCache>();
  private grid: { start: number; end: number; buckets: number } | null = null;

  prepare(series: readonly ChartSeries[], options: PrepareOptions): PreparedChart {
    const { buckets, smoothing, logScale } = options;
    const extent = dataExtent(series);
    const grid = options.xRange ? null : this.gridFor(extent, buckets);
    const lines: Line[] = [];
    const live = new Set<string>();
    for (const s of series) {
      if (live.has(s.id)) throw new RangeError(`chart series id "${s.id}" is used twice`);
      live.add(s.id);
      const cache = this.cacheOf(s.id);
      const length = seriesLength(s);
      if (smoothing > 0) cache.updateSmoothing(s, length, smoothing);
      const sameData = cache.viewX === s.x && cache.viewY === s.y;
      if (options.xRange) {
        const [from, to] = options.xRange;
        const viewKey = `range|${from}|${to}|${buckets}|${smoothing}|${length}`;
        if (!sameData || cache.viewKey !== viewKey) {
          cache.raw = downsampleRange(s.x, s.y, from, to, buckets, length, cache.rawBuffer);
          cache.viewKey = viewKey;
          if (smoothing > 0) cache.pickSmoothed();
        }
      } else if (grid) {
        // The whole series on the shared grid: when it only grew, bucket just its last bucket and the new points.
        const viewKey = `grid|${grid.start}|${grid.end}|${buckets}|${smoothing}`;
        const grew = sameData && cache.viewKey === viewKey && length >= cache.viewLength;
        if (!grew || length !== cache.viewLength) {
          cache.raw = downsampleGrowing(s.x, s.y, grid.start, grid.end, buckets, length, cache.rawBuffer, grew);
          cache.viewKey = viewKey;
          if (smoothing > 0) cache.pickSmoothed();
        }
      } else {
        cache.raw = EMPTY;
        cache.viewKey = 'empty';
      }
      cache.viewX = s.x;
      cache.viewY = s.y;
      cache.viewLength = length;
      lines.push(cache.raw);
      // The smoothed line is taken at the raw line's points (at least one per pixel column), which is
      // exact to the eye for a smooth curve, halves the work and lets both lines share their x values.
      if (smoothing > 0) lines.push({ x: cache.raw.x, y: cache.smoothAtRaw.subarray(0, cache.raw.x.length) });
    }
    for (const id of this.caches.keys()) if (!live.has(id)) this.caches.delete(id);
    return { ...joinLines(lines, logScale), extent };
  }

  /**
   * The bucket grid of the unzoomed view, shared by all series. It fits the data exactly, and when the
   * data outgrows it, it is stretched a quarter beyond, so a live chart re-buckets everything only
   * every 25 % of growth (buckets are then at most 1.25 pixel columns wide).
   */
  private gridFor(extent: readonly [number, number] | null, buckets: number): { start: number; end: number } | null {
    if (!extent) return (this.grid = null);
    const [start, last] = extent;
    const grid = this.grid;
    if (grid && grid.start === start && grid.buckets === buckets && last <= grid.end && last > grid.start + (grid.end - grid.start) / 2) {
      return grid;
    }
    const end = grid && grid.start === start && grid.buckets === buckets && last > grid.end ? start + (last - start) * 1.25 : last > start ? last : start + 1;
    this.grid = { start, end, buckets };
    return this.grid;
  }

  /**
   * The full-resolution point of a series nearest to `x` (+Infinity: its last point) for hover and
   * legend values, or null when it has none. Smooths what is new first, so it is exact while rendering.
   */
  valueAt(series: ChartSeries, x: number, smoothing: number): PointValue | null {
    const length = seriesLength(series);
    if (length === 0 || Number.isNaN(x)) return null;
    const xs = series.x;
    let i = lowerBound(xs, x, length);
    if (i === length || (i > 0 && x - xs[i - 1]! <= xs[i]! - x)) i--;
    const point = { x: xs[i]!, raw: series.y[i]! };
    if (!(smoothing > 0)) return point;
    const cache = this.cacheOf(series.id);
    cache.updateSmoothing(series, length, smoothing);
    return { ...point, smoothed: cache.smoothed[i]! };
  }

  private cacheOf(id: string): SeriesCache {
    let cache = this.caches.get(id);
    if (!cache) this.caches.set(id, (cache = new SeriesCache()));
    return cache;
  }
}

/** A line to draw: x sorted. */
export interface Line {
  readonly x: Float64Array;
  readonly y: ArrayLike<number>;
}

/**
 * Joins lines on the union of their x values (uPlot draws from one x array); a line lacking a point at
 * some x gets null there. Lines that share their x array (raw and smoothed) are placed once.
 */
export function joinLines(lines: readonly Line[], logScale: boolean): { data: PreparedChart['data']; points: number } {
  const distinct = [...new Set(lines.map((line) => line.x))];
  const { union, positions } = mergeSorted(distinct);
  const data: PreparedChart['data'] = [union];
  let points = 0;
  for (const line of lines) {
    const at = positions.get(line.x)!;
    const ys = new Array<number | null>(union.length).fill(null);
    const ly = line.y;
    for (let j = 0; j < at.length; j++) {
      const value = ly[j]!;
      // several points at one x (duplicate steps): the last one stands for them
      ys[at[j]!] = logScale && !(value > 0) ? null : value;
    }
    points += at.length;
    data.push(ys);
  }
  return { data, points };
}

/** The sorted union of sorted arrays, and where each array's points land in it. O(total × arrays). */
function mergeSorted(arrays: readonly Float64Array[]): { union: Float64Array; positions: Map<Float64Array, Int32Array> } {
  const positions = new Map<Float64Array, Int32Array>();
  const first = arrays[0] ?? new Float64Array(0);
  if (arrays.every((a) => sameValues(a, first))) {
    // the usual case: runs logged at the same epochs, or a single series
    const identity = new Int32Array(first.length);
    for (let i = 0; i < identity.length; i++) identity[i] = i;
    for (const a of arrays) positions.set(a, identity);
    return { union: first.slice(), positions };
  }
  const total = arrays.reduce((sum, a) => sum + a.length, 0);
  const union = new Float64Array(total);
  const at = arrays.map((a) => new Int32Array(a.length));
  const heads = new Int32Array(arrays.length);
  let n = 0;
  for (;;) {
    let min = Infinity;
    let any = false;
    for (let k = 0; k < arrays.length; k++) {
      const a = arrays[k]!;
      if (heads[k]! < a.length) {
        any = true;
        if (a[heads[k]!]! < min) min = a[heads[k]!]!;
      }
    }
    if (!any) break;
    union[n] = min;
    for (let k = 0; k < arrays.length; k++) {
      const a = arrays[k]!;
      const positionsK = at[k]!;
      while (heads[k]! < a.length && a[heads[k]!]! === min) positionsK[heads[k]!++] = n;
    }
    n++;
  }
  arrays.forEach((a, k) => positions.set(a, at[k]!));
  return { union: union.slice(0, n), positions };
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
