/**
 * What the sweep view computes from a trials table: an axis per parameter (log for log ranges, one slot
 * per value for lists), brushing, and parameter importance. Pure, so it is tested without a DOM.
 */
import type { SweepParameterDto, SweepParamValue, TrialRecord } from '../../../shared/sweeps';

export interface Axis {
  key: string;
  kind: 'linear' | 'log' | 'category';
  /** Category labels (kind category). */
  categories: string[];
  min: number;
  max: number;
  /** Position of a value on the axis, 0 (bottom) … 1 (top); NaN when it has none. */
  unit: (value: SweepParamValue | number | undefined) => number;
  /** Tick labels with their positions. */
  ticks: Array<{ at: number; label: string }>;
}

export const label = (v: SweepParamValue | number | undefined): string =>
  v === undefined ? '–' : typeof v === 'number' ? String(Number(v.toPrecision(4))) : typeof v === 'string' ? v : JSON.stringify(v);

function numericAxis(key: string, values: number[], log: boolean): Axis {
  const t = (v: number): number => (log ? Math.log10(v) : v);
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let min = finite.length ? Math.min(...finite) : 0;
  let max = finite.length ? Math.max(...finite) : 1;
  if (min === max) {
    // One distinct value: a small span around it (an accuracy of 0.9 should not get an axis up to 1.4).
    const pad = Math.abs(min) * 0.1 || 0.5;
    min = log ? min / 2 : min - pad;
    max = log ? max * 2 : max + pad;
  }
  const span = t(max) - t(min);
  const unit = (v: SweepParamValue | number | undefined): number => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? (t(v) - t(min)) / span : NaN);
  const ticks = [0, 0.5, 1].map((at) => ({ at, label: label(log ? 10 ** (t(min) + at * span) : min + at * (max - min)) }));
  return { key, kind: log ? 'log' : 'linear', categories: [], min, max, unit, ticks };
}

function categoryAxis(key: string, values: SweepParamValue[]): Axis {
  const categories = [...new Set(values.map((v) => label(v)))];
  const at = (i: number): number => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  const unit = (v: SweepParamValue | number | undefined): number => {
    const i = categories.indexOf(label(v));
    return i < 0 ? NaN : at(i);
  };
  return { key, kind: 'category', categories, min: 0, max: categories.length - 1, unit, ticks: categories.map((c, i) => ({ at: at(i), label: c })) };
}

/** An axis for a parameter: its declared values for lists, the observed range for ranges. */
export function parameterAxis(param: SweepParameterDto, trials: readonly TrialRecord[]): Axis {
  const observed = trials.map((t) => t.params[param.key]).filter((v): v is SweepParamValue => v !== undefined);
  if (param.kind === 'values') {
    const declared = param.values ?? [];
    const numeric = declared.length > 0 && declared.every((v) => typeof v === 'number');
    if (numeric && declared.length > 4) return numericAxis(param.key, declared, false);
    // Numbers as categories in increasing order (bottom to top), whatever order the list gave them in.
    return categoryAxis(param.key, numeric ? [...(declared)].sort((a, b) => a - b) : declared.length ? declared : observed);
  }
  const values = [param.low ?? NaN, param.high ?? NaN];
  return numericAxis(param.key, values, param.kind === 'log_uniform');
}

export function metricAxis(metric: string, trials: readonly TrialRecord[]): Axis {
  return numericAxis(metric, trials.map((t) => t.value).filter((v): v is number => v !== undefined), false);
}

/** A brush: the part of an axis (in unit positions) a trial must lie in. */
export type Brushes = Record<string, [number, number]>;

/** Whether a trial lies inside every brush. */
export function inBrushes(trial: TrialRecord, axes: readonly Axis[], metric: Axis, brushes: Brushes): boolean {
  for (const [key, [lo, hi]] of Object.entries(brushes)) {
    const axis = key === metric.key ? metric : axes.find((a) => a.key === key);
    if (!axis) continue;
    const u = axis.unit(key === metric.key ? trial.value : trial.params[key]);
    if (!(u >= lo && u <= hi)) return false;
  }
  return true;
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

function ranks(v: number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

/**
 * Share of the metric's variance a piecewise-constant model of one parameter explains: η² (raw) and
 * corrected for chance like adjusted R² (k groups fitted to n points explain (k-1)/(n-1) by chance).
 */
function explainedVariance(groups: number[], y: number[]): { raw: number; adjusted: number } {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const total = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  if (total === 0) return { raw: 0, adjusted: 0 };
  const sums = new Map<number, { s: number; n: number }>();
  groups.forEach((g, i) => {
    const e = sums.get(g) ?? { s: 0, n: 0 };
    e.s += y[i]!;
    e.n++;
    sums.set(g, e);
  });
  let between = 0;
  for (const { s, n } of sums.values()) between += n * (s / n - mean) ** 2;
  const k = sums.size;
  const raw = between / total;
  return { raw, adjusted: Math.max(0, y.length > k ? raw - ((1 - raw) * (k - 1)) / (y.length - k) : 0) };
}

export interface Importance {
  key: string;
  /** |Spearman rank correlation| with the metric (numerical); the correlation ratio η for value lists. */
  correlation: number;
  /** Variance of the metric explained by a binned (piecewise-constant) model of this parameter alone. */
  explained: number;
  /** Trials it was computed from. */
  n: number;
}

/**
 * Parameter importance over the trials that have a value: a rank correlation (monotone effects) and a
 * simple model-based estimate — how much of the metric's variance a piecewise-constant fit on the
 * parameter explains (quartile bins for ranges, one level per value for lists), corrected for chance.
 */
export function importance(params: readonly SweepParameterDto[], trials: readonly TrialRecord[]): Importance[] {
  const done = trials.filter((t) => t.value !== undefined && Number.isFinite(t.value));
  const y = done.map((t) => t.value!);
  return params
    .map((p) => {
      const axis = parameterAxis(p, done);
      const x = done.map((t) => axis.unit(t.params[p.key]));
      if (done.length < 3) return { key: p.key, correlation: 0, explained: 0, n: done.length };
      let groups: number[];
      let correlation: number;
      if (axis.kind === 'category') {
        groups = x.map((u) => Math.round(u * 1000));
        correlation = Math.sqrt(explainedVariance(groups, y).raw);
      } else {
        const r = ranks(x);
        correlation = Math.abs(pearson(r, ranks(y)));
        const bins = Math.min(4, Math.max(2, Math.floor(done.length / 3)));
        groups = r.map((rank) => Math.min(bins - 1, Math.floor((rank / done.length) * bins)));
      }
      return { key: p.key, correlation, explained: explainedVariance(groups, y).adjusted, n: done.length };
    })
    .sort((a, b) => b.explained - a.explained || b.correlation - a.correlation);
}
