// Turns full-resolution metric series into what uPlot draws: every series smoothed (incrementally, as
// it grows), downsampled on one shared bucket grid (so overlaid runs are treated alike), and joined on
// one x axis. Results are cached per series, so a redraw redoes only the series whose data or view changed.

import { DownsampleBuffer, downsampleRange, lowerBound, type Downsampled, type NumArray } from './downsample';
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
  readonly rawBuffer = new DownsampleBuffer();
  readonly smoothBuffer = new DownsampleBuffer();
  raw: Downsampled | null = null;
  smooth: Downsampled | null = null;

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

  prepare(series: readonly ChartSeries[], options: PrepareOptions): PreparedChart {
    const { buckets, smoothing, logScale } = options;
    const extent = dataExtent(series);
    const view = options.xRange ?? extent;
    const lines: Downsampled[] = [];
    const live = new Set<string>();
    for (const s of series) {
      if (live.has(s.id)) throw new RangeError(`chart series id "${s.id}" is used twice`);
      live.add(s.id);
      const cache = this.cacheOf(s.id);
      const length = seriesLength(s);
      if (smoothing > 0) cache.updateSmoothing(s, length, smoothing);
      const viewKey = view ? `${length}|${view[0]}|${view[1]}|${buckets}|${smoothing}` : 'empty';
      if (cache.viewX !== s.x || cache.viewY !== s.y || cache.viewKey !== viewKey) {
        cache.raw = view ? downsampleRange(s.x, s.y, view[0], view[1], buckets, length, cache.rawBuffer) : EMPTY;
        cache.smooth =
          smoothing > 0 && view ? downsampleRange(s.x, cache.smoothed, view[0], view[1], buckets, length, cache.smoothBuffer) : EMPTY;
        cache.viewKey = viewKey;
        cache.viewX = s.x;
        cache.viewY = s.y;
      }
      lines.push(cache.raw!);
      if (smoothing > 0) lines.push(cache.smooth!);
    }
    for (const id of this.caches.keys()) if (!live.has(id)) this.caches.delete(id);
    return { ...joinLines(lines, logScale), extent };
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

const EMPTY: Downsampled = { x: new Float64Array(0), y: new Float64Array(0) };

/** Joins sorted lines on the union of their x values; lines lacking a point there get null. */
export function joinLines(lines: readonly Downsampled[], logScale: boolean): { data: PreparedChart['data']; points: number } {
  const union = unionX(lines);
  const data: PreparedChart['data'] = [union];
  let points = 0;
  for (const line of lines) {
    const ys = new Array<number | null>(union.length).fill(null);
    const lx = line.x;
    const ly = line.y;
    let j = 0;
    for (let u = 0; u < union.length && j < lx.length; u++) {
      const ux = union[u]!;
      // several points at one x (duplicate steps): the last one stands for them
      while (j < lx.length && lx[j]! === ux) {
        const value = ly[j]!;
        ys[u] = logScale && !(value > 0) ? null : value;
        j++;
      }
    }
    points += lx.length;
    data.push(ys);
  }
  return { data, points };
}

function unionX(lines: readonly Downsampled[]): Float64Array {
  if (lines.length === 0) return new Float64Array(0);
  const first = lines[0]!.x;
  if (lines.every((line) => sameValues(line.x, first))) return first.slice();
  let total = 0;
  for (const line of lines) total += line.x.length;
  const all = new Float64Array(total);
  let offset = 0;
  for (const line of lines) {
    all.set(line.x, offset);
    offset += line.x.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (n === 0 || all[i] !== all[n - 1]) all[n++] = all[i]!;
  return all.slice(0, n);
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
