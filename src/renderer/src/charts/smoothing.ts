// TensorBoard's scalar smoothing: an exponential moving average debiased like Adam's moment estimates,
// so the first points are not dragged towards zero. Non-finite values (a NaN loss) pass through
// unchanged and do not disturb the average of the finite ones.

import type { NumArray } from './downsample';

/** The largest smoothing weight the charts accept (TensorBoard's slider stops there too). */
export const MAX_SMOOTHING = 0.999;

export function checkSmoothingWeight(weight: number): void {
  if (!(Number.isFinite(weight) && weight >= 0 && weight <= MAX_SMOOTHING)) {
    throw new RangeError(`smoothing weight must be between 0 and ${MAX_SMOOTHING}, got ${weight}`);
  }
}

/** Running state of a debiased EMA, so a growing series is smoothed only where it grew. */
export interface EmaState {
  readonly weight: number;
  /** the biased average of the finite values so far */
  last: number;
  /** how many finite values it holds (the debiasing exponent) */
  count: number;
  /** how many values of the series have been smoothed */
  done: number;
}

export function createEma(weight: number): EmaState {
  checkSmoothingWeight(weight);
  return { weight, last: 0, count: 0, done: 0 };
}

/**
 * Smooths y[state.done .. length) into out[state.done .. length) and advances the state:
 * s_t = last_t / (1 - w^n) with last_t = w · last_{t-1} + (1 - w) · y_t, n = finite values so far.
 * With w = 0 every value is returned as it is.
 */
export function emaExtend(state: EmaState, y: NumArray, length: number, out: Float64Array): void {
  if (length > out.length || length > y.length) {
    throw new RangeError(`emaExtend: length ${length} exceeds the input (${y.length}) or output (${out.length})`);
  }
  const w = state.weight;
  const keep = 1 - w;
  let last = state.last;
  let count = state.count;
  let debiasPow = w ** count;
  // Once w^n is below 1e-20, 1 - w^n is exactly 1: the debiasing is over and the loop below needs
  // neither the power (which would otherwise sink into slow subnormal numbers) nor a division.
  if (debiasPow < 1e-20) debiasPow = 0;
  let i = state.done;
  for (; i < length && debiasPow !== 0; i++) {
    const value = y[i]!;
    if (value - value !== 0) {
      out[i] = value; // NaN or ±Infinity: shown as is, not averaged
      continue;
    }
    last = last * w + keep * value;
    count++;
    debiasPow *= w;
    if (debiasPow < 1e-20) debiasPow = 0;
    out[i] = last / (1 - debiasPow);
  }
  for (; i < length; i++) {
    const value = y[i]!;
    if (value - value !== 0) {
      out[i] = value;
      continue;
    }
    last = last * w + keep * value;
    count++;
    out[i] = last;
  }
  state.last = last;
  state.count = count;
  state.done = Math.max(state.done, length);
}

/** The debiased EMA of a whole series (weight 0 ≤ w ≤ 0.999). */
export function smoothEma(y: NumArray, weight: number, length = y.length): Float64Array {
  const out = new Float64Array(length);
  emaExtend(createEma(weight), y, length, out);
  return out;
}
