import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { parseOverrides, throwIssues, type ConfigIssue } from '../config/resolve.js';
import { locateKeys, type KeyPosition } from '../config/toml-locate.js';
import { parseTomlFile, stripBom } from '../config/toml-text.js';
import { ExpmanError, isExpmanError } from '../errors.js';
import { isValidName } from '../../shared/names.js';
import type { Goal, PrunerSpec } from './pruners.js';
import { SWEEP_METHODS, type SweepMethod } from './samplers.js';
import { gridSize, gridValues, tomlValue, type Distribution, type Parameter, type ParamValue } from './space.js';
import type { TpeOptions } from './tpe.js';

/**
 * A sweep definition: a TOML file whose top level is the sweep, or any TOML file with a `[sweep]` table
 * (an experiment's config.toml may carry one). Everything is checked before anything starts, with
 * file:line:column and the key, like a config file:
 *
 *     name = "lr-search"            # default: the file's name
 *     experiment = "default"
 *     method = "tpe"                # grid | random | tpe
 *     metric = "val_accuracy"       # any value the runs write in their epoch_end lines
 *     goal = "maximize"             # or minimize
 *     seed = 0
 *     parallel = 2                  # trials at once
 *     repeats = 1                   # runs per point, with seed_key = seed + repeat
 *     [budget]                      # trials and/or time ("90m", "2h", "45s" or seconds)
 *     trials = 30
 *     [set]                         # config values every trial gets
 *     "training.epochs" = 20
 *     [parameters]
 *     "training.learning_rate" = { log_uniform = [1e-4, 1e-1] }
 *     "training.batch_size" = [16, 32, 64]
 *     "model.params.units" = { int = [8, 128] }
 *     "training.optimizer" = { choice = ["adam", "sgd"] }
 *     [pruner]                      # none | median (warmup_epochs, min_trials) | asha (min_epochs, eta, max_epochs)
 *     type = "asha"
 */
export interface SweepDefinition {
  name: string;
  experiment: string;
  method: SweepMethod;
  metric: string;
  goal: Goal;
  seed: number;
  parallel: number;
  repeats: number;
  /** The config key each repeat of a point sets to seed + repeat. */
  seedKey: string;
  /** Points (configurations) to try and/or wall-clock seconds; a grid defaults to all its points. */
  budget: { trials?: number; seconds?: number };
  parameters: Parameter[];
  /** Overrides every trial gets (`[set]`). */
  fixed: string[];
  /** ASHA's max_epochs may be left to the experiment's training.epochs (filled in when the sweep starts). */
  pruner: PrunerSpec | { type: 'asha'; minEpochs: number; eta: number; maxEpochs?: number };
  tpe: Partial<TpeOptions>;
}

/** A grid larger than this is a mistake (an int range meant for random search), refused before it starts. */
const MAX_GRID_POINTS = 100_000;

const TOP_KEYS = new Set(['name', 'experiment', 'method', 'metric', 'goal', 'seed', 'parallel', 'repeats', 'seed_key', 'budget', 'set', 'parameters', 'pruner', 'tpe']);
const DIST_KEYS = ['values', 'choice', 'uniform', 'log_uniform', 'int'] as const;

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** The problem with `key=value` as an override (unknown key, wrong type, out of range), or null. */
function overrideProblem(key: string, value: ParamValue): string | null {
  try {
    parseOverrides([`${key}=${tomlValue(value)}`], 'sweep');
    return null;
  } catch (error) {
    if (!isExpmanError(error)) throw error;
    const issues = error.details['issues'] as Array<{ message: string }> | undefined;
    return issues?.[0]?.message ?? error.message;
  }
}

/** Parses seconds from `90`, `"45s"`, `"90m"`, `"2h"`, `"1h30m"`. */
function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const m = /^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$/.exec(value);
  if (!m || (!m[1] && !m[2] && !m[3])) return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * Parses and checks a sweep definition. `file` names it in errors. Throws CONFIG_PARSE for TOML syntax and
 * CONFIG_INVALID listing every problem (the first in the message).
 */
export function parseSweepText(source: string, file: string): SweepDefinition {
  const text = stripBom(source);
  const doc = parseTomlFile(text, file);
  const nested = isTable(doc['sweep']);
  const root = nested ? (doc['sweep'] as Record<string, unknown>) : doc;
  const prefix = nested ? 'sweep.' : '';
  const positions = locateKeys(text);
  const issues: ConfigIssue[] = [];
  const at = (key: string): Partial<KeyPosition> => {
    for (let k = `${prefix}${key}`; k; k = k.slice(0, Math.max(0, k.lastIndexOf('.')))) {
      const p = positions.get(k);
      if (p) return p;
    }
    return {};
  };
  const issue = (key: string, message: string): void => void issues.push({ message, key: `${prefix}${key}`, file, ...at(key) });

  for (const key of Object.keys(root)) if (!TOP_KEYS.has(key)) issue(key, `unknown sweep key; expected one of ${[...TOP_KEYS].join(', ')}`);

  const str = (key: string, fallback: string | undefined, allowed?: readonly string[]): string => {
    const v = root[key];
    if (v === undefined) {
      if (fallback === undefined) issue(key, 'missing');
      return fallback ?? '';
    }
    if (typeof v !== 'string' || v === '') issue(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
    else if (allowed && !allowed.includes(v)) issue(key, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
    return typeof v === 'string' ? v : (fallback ?? '');
  };
  const int = (table: Record<string, unknown>, key: string, path: string, fallback: number | undefined, min: number): number | undefined => {
    const v = table[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      issue(path, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };

  const name = str('name', basename(file).replace(/\.toml$/i, ''));
  if (name && !isValidName(name)) issue('name', `expected a name of letters, digits, ".", "_" and "-", got ${JSON.stringify(name)}`);
  const experiment = str('experiment', 'default');
  if (experiment && !isValidName(experiment)) issue('experiment', `expected an experiment name, got ${JSON.stringify(experiment)}`);
  const method = str('method', undefined, SWEEP_METHODS) as SweepMethod;
  const metric = str('metric', undefined);
  const goal = str('goal', undefined, ['minimize', 'maximize']) as Goal;
  const seed = int(root, 'seed', 'seed', 0, 0)!;
  const parallel = int(root, 'parallel', 'parallel', 1, 1)!;
  const repeats = int(root, 'repeats', 'repeats', 1, 1)!;
  const seedKey = str('seed_key', 'training.seed');

  // [set]: fixed overrides.
  const fixed: string[] = [];
  const setTable = root['set'];
  if (setTable !== undefined && !isTable(setTable)) issue('set', 'expected a table of config values');
  for (const [key, value] of flatten(isTable(setTable) ? setTable : {}, (v) => !isTable(v))) {
    const problem = overrideProblem(key, value as ParamValue);
    if (problem) issue(`set.${key}`, problem);
    else fixed.push(`${key}=${tomlValue(value as ParamValue)}`);
  }

  // [parameters]
  const parameters: Parameter[] = [];
  const paramTable = root['parameters'];
  if (!isTable(paramTable) || Object.keys(paramTable).length === 0) issue('parameters', 'a sweep needs at least one parameter ([parameters] "key" = [values] or { uniform = [low, high] } …)');
  const isSpec = (v: unknown): boolean => Array.isArray(v) || (isTable(v) && DIST_KEYS.some((k) => k in v));
  for (const [key, spec] of flatten(isTable(paramTable) ? paramTable : {}, isSpec)) {
    const path = `parameters.${key}`;
    if (!isSpec(spec)) {
      issue(path, `expected a list of values or a table with one of ${DIST_KEYS.join(', ')}`);
      continue;
    }
    const dist = distribution(spec, (message) => issue(path, message));
    if (!dist) continue;
    if (key === seedKey && repeats > 1) issue(path, `${seedKey} is set by repeats; sweep it or use repeats, not both`);
    const problem = checkDistribution(key, dist);
    if (problem) issue(path, problem);
    else parameters.push({ key, dist });
  }
  if (method === 'grid') {
    for (const p of parameters) if (!gridValues(p.dist)) issue(`parameters.${p.key}`, `grid search needs a list of values or an int range, not a ${p.dist.kind} range`);
  }

  // [budget]
  const budgetTable = root['budget'];
  const budget: SweepDefinition['budget'] = {};
  if (budgetTable !== undefined && !isTable(budgetTable)) issue('budget', 'expected a table: trials = N and/or time = "90m"');
  if (isTable(budgetTable)) {
    for (const key of Object.keys(budgetTable)) if (key !== 'trials' && key !== 'time') issue(`budget.${key}`, 'unknown budget key; expected trials or time');
    if (budgetTable['trials'] !== undefined) {
      const t = budgetTable['trials'];
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) issue('budget.trials', `expected an integer ≥ 1 (a budget of ${JSON.stringify(t)} would run nothing)`);
      else budget.trials = t;
    }
    if (budgetTable['time'] !== undefined) {
      const s = parseDuration(budgetTable['time']);
      if (s === null || s <= 0) issue('budget.time', `expected a positive duration like "90m", "2h", "45s" or seconds, got ${JSON.stringify(budgetTable['time'])}`);
      else budget.seconds = s;
    }
  }
  if (method === 'grid' && parameters.length > 0 && issues.length === 0) {
    const size = gridSize(parameters);
    if (size === 0) issue('parameters', 'the grid is empty: a parameter has no values');
    else if (size > MAX_GRID_POINTS) issue('parameters', `the grid has ${size.toLocaleString('en-US')} points, more than ${MAX_GRID_POINTS.toLocaleString('en-US')}: use random or tpe with a budget`);
    budget.trials = Math.min(budget.trials ?? size, size);
  } else if ((method === 'random' || method === 'tpe') && budget.trials === undefined && budget.seconds === undefined && !issues.some((i) => i.key?.startsWith(`${prefix}budget`))) {
    issue('budget', `${method} search needs a budget: [budget] trials = N and/or time = "…"`);
  }

  // [pruner]
  let pruner: SweepDefinition['pruner'] = { type: 'none' };
  const prunerTable = root['pruner'];
  if (prunerTable !== undefined) {
    if (!isTable(prunerTable)) issue('pruner', 'expected a table: type = "median" | "asha" | "none"');
    else {
      const type = prunerTable['type'];
      const allowed: Record<string, string[]> = { none: [], median: ['warmup_epochs', 'min_trials'], asha: ['min_epochs', 'eta', 'max_epochs'] };
      if (typeof type !== 'string' || !(type in allowed)) issue('pruner.type', `expected "none", "median" or "asha", got ${JSON.stringify(type)}`);
      else {
        for (const key of Object.keys(prunerTable)) if (key !== 'type' && !allowed[type]!.includes(key)) issue(`pruner.${key}`, `not a setting of the ${type} pruner${allowed[type]!.length ? ` (${allowed[type]!.join(', ')})` : ''}`);
        if (type === 'median') pruner = { type, warmup: int(prunerTable, 'warmup_epochs', 'pruner.warmup_epochs', 1, 0)!, minTrials: int(prunerTable, 'min_trials', 'pruner.min_trials', 3, 1)! };
        if (type === 'asha') {
          const maxEpochs = int(prunerTable, 'max_epochs', 'pruner.max_epochs', undefined, 1);
          pruner = { type, minEpochs: int(prunerTable, 'min_epochs', 'pruner.min_epochs', 1, 1)!, eta: int(prunerTable, 'eta', 'pruner.eta', 3, 2)!, ...(maxEpochs !== undefined ? { maxEpochs } : {}) };
        }
      }
    }
  }

  // [tpe]
  const tpe: Partial<TpeOptions> = {};
  const tpeTable = root['tpe'];
  if (tpeTable !== undefined) {
    if (!isTable(tpeTable)) issue('tpe', 'expected a table: startup_trials, candidates');
    else {
      for (const key of Object.keys(tpeTable)) if (key !== 'startup_trials' && key !== 'candidates') issue(`tpe.${key}`, 'unknown TPE setting; expected startup_trials or candidates');
      const startup = int(tpeTable, 'startup_trials', 'tpe.startup_trials', undefined, 1);
      const candidates = int(tpeTable, 'candidates', 'tpe.candidates', undefined, 1);
      if (startup !== undefined) tpe.startup = startup;
      if (candidates !== undefined) tpe.candidates = candidates;
    }
  }

  if (issues.length) throwIssues(issues);
  return { name, experiment, method, metric, goal, seed, parallel, repeats, seedKey, budget, parameters, fixed, pruner, tpe };
}

/** Reads and checks a sweep file. */
export async function readSweepFile(file: string): Promise<SweepDefinition> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpmanError(code === 'ENOENT' ? 'NOT_FOUND' : 'CONFIG_INVALID', `${file}: cannot read the sweep file (${code ?? String(error)})`, { file });
  }
  return parseSweepText(text, file);
}

/** `{ training: { learning_rate: spec } }` and `{ "training.learning_rate": spec }` alike → [dotted key, spec]. */
function flatten(table: Record<string, unknown>, isLeaf: (v: unknown) => boolean, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(table)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isLeaf(v) || !isTable(v)) out.push([key, v]);
    else out.push(...flatten(v, isLeaf, key));
  }
  return out;
}

function distribution(spec: unknown, issue: (message: string) => void): Distribution | null {
  if (Array.isArray(spec)) return listDistribution(spec, issue);
  const table = spec as Record<string, unknown>;
  const kinds = DIST_KEYS.filter((k) => k in table);
  const extra = Object.keys(table).filter((k) => !(DIST_KEYS as readonly string[]).includes(k));
  if (kinds.length !== 1 || extra.length) {
    issue(`expected exactly one of ${DIST_KEYS.join(', ')}${extra.length ? `, got ${extra.join(', ')}` : ''}`);
    return null;
  }
  const kind = kinds[0]!;
  const value = table[kind];
  if (kind === 'values' || kind === 'choice') {
    if (!Array.isArray(value)) {
      issue(`${kind}: expected a list of values`);
      return null;
    }
    return listDistribution(value, issue);
  }
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    issue(`${kind}: expected [low, high], got ${JSON.stringify(value)}`);
    return null;
  }
  const [low, high] = value as [number, number];
  if (low > high) {
    issue(`${kind}: min ${low} is greater than max ${high}`);
    return null;
  }
  if (kind === 'log_uniform' && low <= 0) {
    issue(`log_uniform: the range [${low}, ${high}] includes ${low === 0 ? '0' : 'values ≤ 0'}; a log range must be above 0`);
    return null;
  }
  if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) {
    issue(`int: expected integer bounds, got [${low}, ${high}]`);
    return null;
  }
  return { kind, low, high };
}

function listDistribution(values: unknown[], issue: (message: string) => void): Distribution | null {
  if (values.length === 0) {
    issue('the list of values is empty: the grid would have no points');
    return null;
  }
  // A table or a datetime has no override text (it would reach the trial as "[object Object]").
  const scalar = (v: unknown): boolean => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
  const bad = values.find((v) => !scalar(v) && !(Array.isArray(v) && v.every(scalar)));
  if (bad !== undefined) {
    issue(`expected values that are numbers, strings, booleans or lists of them, got ${bad instanceof Date ? 'a datetime' : Array.isArray(bad) ? 'a list holding a table or list' : 'a table'} ${JSON.stringify(bad)}`);
    return null;
  }
  return { kind: 'values', values: values as ParamValue[] };
}

/** Each value a distribution can produce, checked as an override of its key (unknown key, type, range). */
function checkDistribution(key: string, dist: Distribution): string | null {
  const probes: ParamValue[] = dist.kind === 'values' ? dist.values : [dist.low, dist.high];
  for (const value of probes) {
    const problem = overrideProblem(key, value);
    if (problem) return problem.startsWith('unknown key') ? `${key} is not a config key${problem.slice('unknown key'.length)}` : problem;
  }
  // A float range over an integer key would propose values the key refuses.
  if ((dist.kind === 'uniform' || dist.kind === 'log_uniform') && overrideProblem(key, (dist.low + dist.high) / 2 + 1e-9) !== null) {
    return `${key} takes integers: use { int = [${dist.low}, ${dist.high}] } or a list`;
  }
  return null;
}
