// Min/max bucket downsampling ("M4") of x-sorted series. A canvas line drawn through the first, last,
// smallest and largest point of every pixel column is visually the same as the line through all points,
// so a million-point series is drawn from a few thousand points and no spike is ever lost.

/** A numeric series as the charts accept it: a typed array (compact, fast) or a plain array. */
export type NumArray = ArrayLike<number>;

/** Downsampled points, in x order. The arrays are views of a reusable buffer (see DownsampleBuffer). */
export interface Downsampled {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** each point's index in the input, to pick the same points from a derived series (its smoothed copy) */
  readonly index: Int32Array;
}

/**
 * Output storage reused between calls, so that redrawing a live chart every frame allocates nothing
 * but two small views. Grows on demand; a result stays valid until the buffer's next use.
 */
export class DownsampleBuffer {
  x = new Float64Array(0);
  y = new Float64Array(0);
  index = new Int32Array(0);
  /**
   * Where the last bucket of the latest bucketing began: its first point's input index and output
   * position. Bucketing again from there over the same grid gives what bucketing everything would, so
   * a growing series is re-bucketed from its last bucket on (downsampleGrowing).
   */
  resumeInput = 0;
  resumeOutput = 0;

  reserve(capacity: number): void {
    if (this.x.length >= capacity) return;
    const size = Math.max(capacity, this.x.length * 2, 64);
    const x = new Float64Array(size);
    const y = new Float64Array(size);
    const index = new Int32Array(size);
    // keep what a caller wrote before asking for more room (downsampleRange's leading neighbour)
    x.set(this.x);
    y.set(this.y);
    index.set(this.index);
    this.x = x;
    this.y = y;
    this.index = index;
  }

  views(n: number): Downsampled {
    return { x: this.x.subarray(0, n), y: this.y.subarray(0, n), index: this.index.subarray(0, n) };
  }
}

/** The largest number of points downsampling into `buckets` buckets can return (range variant included). */
export function maxDownsampledPoints(buckets: number): number {
  // first, min, max and last per bucket, plus one neighbour beyond each edge of a range
  return 4 * buckets + 2;
}

/** Index of the first element of sorted `x[0..length)` that is >= value (length when none). */
export function lowerBound(x: NumArray, value: number, length = x.length): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of sorted `x[0..length)` that is > value (length when none). */
export function upperBound(x: NumArray, value: number, length = x.length): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkArgs(x: NumArray, y: NumArray, buckets: number, length: number): void {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`downsample: buckets must be a positive integer, got ${buckets}`);
  if (!Number.isInteger(length) || length < 0 || length > x.length || length > y.length) {
    throw new RangeError(`downsample: length ${length} exceeds the series (x has ${x.length} values, y has ${y.length})`);
  }
}

/**
 * Downsamples the whole series `x[0..length)`, `y[0..length)` (x non-decreasing) into at most
 * `buckets` equal-width x buckets over [x[0], x[length-1]] — one per pixel column — keeping, in x
 * order, the first, the last, the minimum and the maximum point of each bucket. Points whose x or y is
 * not finite (NaN loss, a missing value) are skipped. O(length), no allocation beyond `buffer` growth.
 */
export function downsampleMinMax(
  x: NumArray,
  y: NumArray,
  buckets: number,
  length = Math.min(x.length, y.length),
  buffer = new DownsampleBuffer(),
): Downsampled {
  checkArgs(x, y, buckets, length);
  if (length === 0) return buffer.views(0);
  return bucketize(x, y, 0, length, x[0]!, x[length - 1]!, buckets, buffer, 0, true);
}

/**
 * Like downsampleMinMax, restricted to the points with xMin <= x <= xMax (a zoomed view), bucketed over
 * [xMin, xMax] at full resolution: zooming in re-buckets the raw points, so detail appears, instead of
 * magnifying an earlier downsampling. The nearest point beyond each edge is kept too (unbucketed), so
 * the line runs to the border of the plot instead of stopping at the last visible point.
 * Finds the range by binary search: O(log length + points in range).
 */
export function downsampleRange(
  x: NumArray,
  y: NumArray,
  xMin: number,
  xMax: number,
  buckets: number,
  length = Math.min(x.length, y.length),
  buffer = new DownsampleBuffer(),
): Downsampled {
  checkArgs(x, y, buckets, length);
  if (!(xMin <= xMax)) throw new RangeError(`downsampleRange: the range [${xMin}, ${xMax}] is empty or not a number`);
  const start = lowerBound(x, xMin, length);
  const end = upperBound(x, xMax, length);
  buffer.reserve(maxDownsampledPoints(buckets));
  let n = 0;
  const before = previousFinite(x, y, start - 1);
  if (before >= 0) {
    buffer.x[n] = x[before]!;
    buffer.y[n] = y[before]!;
    buffer.index[n++] = before;
  }
  n = bucketize(x, y, start, end, xMin, xMax, buckets, buffer, n, true).x.length;
  const after = nextFinite(x, y, end, length);
  if (after < length) {
    buffer.x[n] = x[after]!;
    buffer.y[n] = y[after]!;
    buffer.index[n++] = after;
  }
  return buffer.views(n);
}

/**
 * Min/max bucketing of `x[0..length)` over the grid [xStart, xEnd] (all points inside it) for a series
 * that only grows: with `resume`, the buffer's previous result for the same arrays and grid is kept up to
 * its last bucket and only that bucket and the new points are bucketed, so a live chart's redraw costs
 * O(new points) instead of O(all points).
 */
export function downsampleGrowing(
  x: NumArray,
  y: NumArray,
  xStart: number,
  xEnd: number,
  buckets: number,
  length: number,
  buffer: DownsampleBuffer,
  resume: boolean,
): Downsampled {
  checkArgs(x, y, buckets, length);
  const start = resume ? buffer.resumeInput : 0;
  const n = resume ? buffer.resumeOutput : 0;
  return bucketize(x, y, start, length, xStart, xEnd, buckets, buffer, n, false);
}

function isFinitePoint(x: NumArray, y: NumArray, i: number): boolean {
  return Number.isFinite(x[i]!) && Number.isFinite(y[i]!);
}

function previousFinite(x: NumArray, y: NumArray, i: number): number {
  while (i >= 0 && !isFinitePoint(x, y, i)) i--;
  return i;
}

function nextFinite(x: NumArray, y: NumArray, i: number, length: number): number {
  while (i < length && !isFinitePoint(x, y, i)) i++;
  return i;
}

/**
 * Buckets points [start, end) over [xStart, xEnd] into `buffer` from position `n`; returns views of [0, n').
 * One pass, no closures (variables a closure captures live on the heap, which made this loop 3× slower).
 */
function bucketize(
  x: NumArray,
  y: NumArray,
  start: number,
  end: number,
  xStart: number,
  xEnd: number,
  buckets: number,
  buffer: DownsampleBuffer,
  n: number,
  keepAllWhenFew: boolean,
): Downsampled {
  buffer.reserve(n + Math.min(end - start, 4 * buckets) + 2);
  buffer.resumeInput = start;
  buffer.resumeOutput = n;
  const bx = buffer.x;
  const by = buffer.y;
  const bi = buffer.index;
  if (keepAllWhenFew && end - start <= 4 * buckets) {
    // Few enough points: every point is kept.
    for (let i = start; i < end; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      if (!Number.isFinite(xi) || !Number.isFinite(yi)) continue;
      bx[n] = xi;
      by[n] = yi;
      bi[n++] = i;
    }
    return buffer.views(n);
  }
  const span = xEnd - xStart;
  const scale = span > 0 ? buckets / span : 0;
  const lastBucket = buckets - 1;
  let i = start;
  while (i < end) {
    const x0 = x[i]!;
    const y0 = y[i]!;
    // v - v is 0 for a finite v and NaN otherwise: one test for both coordinates
    if (x0 - x0 + (y0 - y0) !== 0) {
      i++;
      continue;
    }
    const t0 = (x0 - xStart) * scale;
    // t | 0 is Math.floor(t) for 0 <= t < 2^31, and cheaper
    const bucket = t0 >= lastBucket ? lastBucket : t0 <= 0 ? 0 : t0 | 0;
    const first = i;
    buffer.resumeInput = i;
    buffer.resumeOutput = n;
    let last = i;
    let minIdx = i;
    let maxIdx = i;
    let minY = y0;
    let maxY = y0;
    for (i++; i < end; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      if (xi - xi + (yi - yi) !== 0) continue;
      const t = (xi - xStart) * scale;
      if ((t >= lastBucket ? lastBucket : t <= 0 ? 0 : t | 0) !== bucket) break;
      last = i;
      if (yi < minY) {
        minY = yi;
        minIdx = i;
      } else if (yi > maxY) {
        maxY = yi;
        maxIdx = i;
      }
    }
    // first <= min, max <= last by index: emit in index (= x) order without duplicates
    bx[n] = x0;
    by[n] = y0;
    bi[n++] = first;
    const lo = minIdx < maxIdx ? minIdx : maxIdx;
    const hi = minIdx < maxIdx ? maxIdx : minIdx;
    if (lo !== first) {
      bx[n] = x[lo]!;
      by[n] = y[lo]!;
      bi[n++] = lo;
    }
    if (hi !== lo && hi !== first) {
      bx[n] = x[hi]!;
      by[n] = y[hi]!;
      bi[n++] = hi;
    }
    if (last !== hi && last !== lo && last !== first) {
      bx[n] = x[last]!;
      by[n] = y[last]!;
      bi[n++] = last;
    }
  }
  return buffer.views(n);
}
