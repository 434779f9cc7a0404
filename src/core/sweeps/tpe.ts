import type { Rng } from '../random.js';
import { samplePrior, sameValue, type Distribution, type Parameter, type ParamValue, type Params } from './space.js';

/**
 * Tree-structured Parzen Estimator (Bergstra et al., "Algorithms for Hyper-Parameter Optimization",
 * NeurIPS 2011), univariate, in the form Optuna and Hyperopt use: the observed trials are split into the
 * best `gamma(n)` ("good") and the rest ("bad"); per parameter, a Parzen density l(x) is fitted to the
 * good values and g(x) to the bad ones (each with a prior component over the whole range); candidates
 * are drawn from l and the one with the highest l(x)/g(x) — the expected-improvement maximiser — is
 * proposed. Numerical ranges use truncated Gaussian kernels (in log space for `log_uniform`, on the
 * continuous relaxation for `int`); value lists use smoothed category frequencies. Deterministic for a
 * given rng and history.
 */
export interface TpeOptions {
  /** Trials drawn from the prior before the model is used. */
  startup: number;
  /** Candidates drawn from l(x) per parameter. */
  candidates: number;
  /** Weight of the prior component of each density. */
  priorWeight: number;
}

export const TPE_DEFAULTS: TpeOptions = { startup: 10, candidates: 24, priorWeight: 1 };

/** An observed trial: its parameters and its loss (lower is better; a maximised metric is negated). */
export interface Observation {
  params: Params;
  loss: number;
}

/** How many of n observations are "good": Optuna's default, 10 % capped at 25 (at least 1). */
export function goodCount(n: number): number {
  return Math.max(1, Math.min(Math.ceil(0.1 * n), 25));
}

export function tpePropose(parameters: readonly Parameter[], history: readonly Observation[], rng: Rng, options: TpeOptions = TPE_DEFAULTS): Params {
  const usable = history.filter((o) => Number.isFinite(o.loss));
  const point: Params = {};
  if (usable.length < Math.max(2, options.startup)) {
    for (const p of parameters) point[p.key] = samplePrior(p.dist, rng);
    return point;
  }
  const sorted = [...usable].sort((a, b) => a.loss - b.loss);
  const nGood = goodCount(sorted.length);
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  for (const p of parameters) {
    const below = good.map((o) => o.params[p.key]).filter((v): v is ParamValue => v !== undefined);
    const above = bad.map((o) => o.params[p.key]).filter((v): v is ParamValue => v !== undefined);
    point[p.key] = p.dist.kind === 'values' ? proposeCategorical(p.dist.values, below, above, rng, options) : proposeNumeric(p.dist, below as number[], above as number[], rng, options);
  }
  return point;
}

// ---- numerical parameters ------------------------------------------------------------------------------

interface Space {
  low: number;
  high: number;
  to: (v: number) => number;
  from: (x: number) => number;
}

function spaceOf(dist: Exclude<Distribution, { kind: 'values' }>): Space {
  switch (dist.kind) {
    case 'log_uniform':
      return { low: Math.log(dist.low), high: Math.log(dist.high), to: Math.log, from: Math.exp };
    case 'int':
      // Each integer owns the interval around it, so the ends are as likely as the middle.
      return { low: dist.low - 0.5, high: dist.high + 0.5, to: (v) => v, from: (x) => Math.min(dist.high, Math.max(dist.low, Math.round(x))) };
    case 'uniform':
      return { low: dist.low, high: dist.high, to: (v) => v, from: (x) => x };
  }
}

/** A mixture of Gaussians truncated to [low, high]: the observations plus one wide prior component. */
interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low: number;
  high: number;
}

function parzen(values: number[], low: number, high: number, priorWeight: number): Parzen {
  const range = high - low;
  const prior = { mu: low + range / 2, sigma: range };
  const mus = [...values, prior.mu];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigmas = new Array<number>(mus.length).fill(range);
  // Bandwidth: the larger distance to a neighbour (the range's ends count as neighbours), clipped
  // ("magic clip") so that a few close observations do not collapse into spikes.
  const minSigma = range / Math.min(100, 1 + mus.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (i === mus.length - 1) continue; // the prior keeps its width
    const left = k > 0 ? mus[order[k - 1]!]! : low;
    const right = k < order.length - 1 ? mus[order[k + 1]!]! : high;
    sigmas[i] = Math.min(range, Math.max(minSigma, mus[i]! - left, right - mus[i]!));
  }
  const weights = [...values.map(() => 1), priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus, sigmas, weights: weights.map((w) => w / total), low, high };
}

function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough for comparing densities. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return sign * y;
}

function logDensity(model: Parzen, x: number): number {
  let p = 0;
  for (let i = 0; i < model.mus.length; i++) {
    const mu = model.mus[i]!;
    const sigma = model.sigmas[i]!;
    const mass = normalCdf((model.high - mu) / sigma) - normalCdf((model.low - mu) / sigma);
    const z = (x - mu) / sigma;
    p += (model.weights[i]! * Math.exp(-0.5 * z * z)) / (sigma * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(p, 1e-300));
}

function gaussian(rng: Rng): number {
  // Box–Muller; 1 - u keeps the logarithm finite.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function sampleParzen(model: Parzen, rng: Rng): number {
  let r = rng();
  let i = 0;
  while (i < model.weights.length - 1 && r >= model.weights[i]!) r -= model.weights[i++]!;
  const mu = model.mus[i]!;
  const sigma = model.sigmas[i]!;
  // Rejection sampling of the truncated Gaussian; a kernel is never narrower than range/100, so this
  // ends quickly; the clamp after many misses only guards against a pathological rng.
  for (let tries = 0; tries < 100; tries++) {
    const x = mu + sigma * gaussian(rng);
    if (x >= model.low && x <= model.high) return x;
  }
  return Math.min(model.high, Math.max(model.low, mu));
}

function proposeNumeric(dist: Exclude<Distribution, { kind: 'values' }>, below: number[], above: number[], rng: Rng, options: TpeOptions): number {
  const space = spaceOf(dist);
  const l = parzen(below.map(space.to), space.low, space.high, options.priorWeight);
  const g = parzen(above.map(space.to), space.low, space.high, options.priorWeight);
  let best = NaN;
  let bestScore = -Infinity;
  for (let c = 0; c < options.candidates; c++) {
    const x = sampleParzen(l, rng);
    const score = logDensity(l, x) - logDensity(g, x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return space.from(best);
}

// ---- value lists ----------------------------------------------------------------------------------------

function proposeCategorical(values: ParamValue[], below: ParamValue[], above: ParamValue[], rng: Rng, options: TpeOptions): ParamValue {
  const probabilities = (observed: ParamValue[]): number[] => {
    const counts = values.map((v) => observed.filter((o) => sameValue(o, v)).length + options.priorWeight / values.length);
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => c / total);
  };
  const l = probabilities(below);
  const g = probabilities(above);
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < options.candidates; c++) {
    let r = rng();
    let i = 0;
    while (i < l.length - 1 && r >= l[i]!) r -= l[i++]!;
    const score = Math.log(l[i]!) - Math.log(g[i]!);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return values[best]!;
}
