import type { Rng } from '../random.js';

/**
 * The search space of a sweep: one distribution per parameter (a config key such as
 * `training.learning_rate`, a module parameter `model.params.units`, or a command parameter `params.x`).
 * Pure: no files, no config schema (definition.ts checks keys and values against it).
 */
export type ParamValue = number | string | boolean | Array<number | string | boolean>;

export type Distribution =
  /** A list of values: enumerated by grid, drawn uniformly (categorical) by random and TPE. */
  | { kind: 'values'; values: ParamValue[] }
  | { kind: 'uniform'; low: number; high: number }
  /** Uniform in log space: low > 0. */
  | { kind: 'log_uniform'; low: number; high: number }
  /** Integers low..high, both included. */
  | { kind: 'int'; low: number; high: number };

export interface Parameter {
  key: string;
  dist: Distribution;
}

export type Params = Record<string, ParamValue>;

/** Draws one value from a distribution's prior (what random search does, and TPE before it has data). */
export function samplePrior(dist: Distribution, rng: Rng): ParamValue {
  switch (dist.kind) {
    case 'values':
      return dist.values[Math.min(dist.values.length - 1, Math.floor(rng() * dist.values.length))]!;
    case 'uniform':
      return dist.low + rng() * (dist.high - dist.low);
    case 'log_uniform':
      return Math.exp(Math.log(dist.low) + rng() * (Math.log(dist.high) - Math.log(dist.low)));
    case 'int':
      return Math.min(dist.high, dist.low + Math.floor(rng() * (dist.high - dist.low + 1)));
  }
}

/** The values grid search enumerates for one parameter, or null for a continuous range. */
export function gridValues(dist: Distribution): ParamValue[] | null {
  switch (dist.kind) {
    case 'values':
      return dist.values;
    case 'int':
      return Array.from({ length: dist.high - dist.low + 1 }, (_, i) => dist.low + i);
    default:
      return null;
  }
}

/** How many points the grid of these parameters has (the product of their value counts). */
export function gridSize(parameters: readonly Parameter[]): number {
  return parameters.reduce((n, p) => n * (gridValues(p.dist)?.length ?? Infinity), 1);
}

/** The `index`-th point of the grid, the last parameter varying fastest; null past the end. */
export function gridPoint(parameters: readonly Parameter[], index: number): Params | null {
  if (index >= gridSize(parameters)) return null;
  const point: Params = {};
  let rest = index;
  for (let i = parameters.length - 1; i >= 0; i--) {
    const values = gridValues(parameters[i]!.dist)!;
    point[parameters[i]!.key] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return orderedLike(parameters, point);
}

function orderedLike(parameters: readonly Parameter[], point: Params): Params {
  const out: Params = {};
  for (const p of parameters) out[p.key] = point[p.key]!;
  return out;
}

/** A value as TOML text, the right-hand side of an override `key=value` (`expman train --set`). */
export function tomlValue(value: ParamValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => tomlValue(v)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  // JSON's number text is valid TOML for every finite number (1e-05 included).
  return String(value);
}

/** The overrides that set a trial's parameters. */
export function paramOverrides(params: Params): string[] {
  return Object.entries(params).map(([key, value]) => `${key}=${tomlValue(value)}`);
}

/** Whether two parameter values are the same (arrays element-wise). */
export function sameValue(a: ParamValue, b: ParamValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}
