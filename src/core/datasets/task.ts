import type { Task } from '../../shared/datasets.js';
import { ExpmanError } from '../errors.js';
import { parseNumber } from './csv-scan.js';

export type { Task } from '../../shared/datasets.js';

/**
 * A numeric label with more distinct values than this is a quantity to predict (regression), not a class:
 * digits (10 classes) or wine quality scores (≤ 11) stay classification; diabetes progression (214
 * distinct integers) or house prices become regression.
 */
export const REGRESSION_MIN_DISTINCT = 20;
/** More classes than this is not a tabular classification problem expman's models are meant for. */
export const MAX_CLASSES = 100;
/** Quantile bins of a regression target that the split stratifies on (fewer for small sets). */
export const TARGET_BINS = 10;

/** The label's distinct values as numbers (NaN where a value is not a number), parsed like feature values. */
export function numericValues(values: readonly string[]): number[] {
  return values.map((v) => {
    const bytes = Buffer.from(v.trim());
    return bytes.length ? parseNumber(bytes, 0, bytes.length) : NaN;
  });
}

/** The task a label implies: numeric with many distinct values is regression, anything else classification. */
export function detectTask(distinct: readonly string[]): Task {
  const numbers = numericValues(distinct);
  return distinct.length > REGRESSION_MIN_DISTINCT && numbers.every(Number.isFinite) ? 'regression' : 'classification';
}

/**
 * Refuses a label that cannot be a classification target: more classes than MAX_CLASSES, or a class with
 * fewer than 2 rows (it could not be in both the training and the test set). Both usually mean the label
 * is a quantity, so the message suggests regression.
 */
export function checkClasses(file: string, label: string, values: readonly string[], ids: ArrayLike<number>): void {
  const hint = numericValues(values).every(Number.isFinite) ? '; if it is a number to predict, use --task regression' : '';
  if (values.length > MAX_CLASSES) {
    throw new ExpmanError('CSV_INVALID', `${file}: label column ${JSON.stringify(label)} has ${values.length} distinct values, more than ${MAX_CLASSES} classes${hint}`, { file, key: label });
  }
  const counts = new Array<number>(values.length).fill(0);
  for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
  const rare = values.filter((_, c) => counts[c]! < 2);
  if (rare.length) {
    const shown = rare.slice(0, 3).map((v) => JSON.stringify(v)).join(', ');
    throw new ExpmanError(
      'CSV_INVALID',
      `${file}: label column ${JSON.stringify(label)} has ${rare.length} class${rare.length === 1 ? '' : 'es'} with fewer than 2 rows (${shown}${rare.length > 3 ? ', …' : ''}); a class needs at least 2${hint}`,
      { file, key: label },
    );
  }
}

/**
 * Quantile bin of each value (0 … bins-1), by rank: ties are ordered by row, so the bins are deterministic
 * and equally full. A stratified split over these bins keeps the target's distribution in both sets.
 */
export function quantileBins(values: ArrayLike<number>, bins: number): { ids: Uint32Array; bins: number } {
  const n = values.length;
  const k = Math.max(1, Math.min(bins, Math.floor(n / 2)));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const ids = new Uint32Array(n);
  order.forEach((row, rank) => {
    ids[row] = Math.min(k - 1, Math.floor((rank * k) / n));
  });
  return { ids, bins: k };
}

/** Number of quantile bins for a set of `rows`: about 5 rows per bin at least, TARGET_BINS at most. */
export function targetBins(rows: number): number {
  return Math.max(1, Math.min(TARGET_BINS, Math.floor(rows / 5)));
}

export interface TargetStats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function targetStats(values: ArrayLike<number>): TargetStats {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  const mean = values.length ? sum / values.length : 0;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return { mean, std: values.length ? Math.sqrt(sq / values.length) : 0, min, max };
}
