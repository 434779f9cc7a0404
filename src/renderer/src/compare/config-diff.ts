// Which settings differ between runs: each run's config flattened to dotted keys (TOML tables become
// "training.epochs"), values compared by value (arrays and inline tables element by element).

export interface ConfigRun {
  readonly id: string;
  readonly label: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface ConfigDiffRow {
  /** dotted key, e.g. "training.learning_rate" */
  readonly key: string;
  /** one value per run, in the runs' order; undefined where a run's config lacks the key */
  readonly values: readonly unknown[];
  readonly differs: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Nested tables as dotted keys, in the config's own order; arrays and other values are leaves. */
export function flattenConfig(config: Readonly<Record<string, unknown>>, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && Object.keys(value).length > 0) flattenConfig(value, path, into);
    else into.set(path, value);
  }
  return into;
}

/** Equality by value: numbers (NaN equals NaN), strings, booleans, dates, arrays and plain objects. */
export function configValuesEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => configValuesEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && configValuesEqual(a[key], b[key]));
  }
  // 0 and -0 are the same setting
  return typeof a === 'number' && typeof b === 'number' && a === b;
}

/** Every key of any run, in order of first appearance, with each run's value and whether they differ. */
export function diffConfigs(runs: readonly ConfigRun[]): ConfigDiffRow[] {
  const flat = runs.map((run) => flattenConfig(run.config));
  const keys = new Set<string>();
  for (const map of flat) for (const key of map.keys()) keys.add(key);
  return [...keys].map((key) => {
    const present = flat.map((map) => map.has(key));
    const values = flat.map((map) => map.get(key));
    const differs = values.some((value, i) => present[i] !== present[0] || !configValuesEqual(value, values[0]));
    return { key, values, differs };
  });
}

/** A value as it reads in TOML, for the table's cells. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(formatConfigValue).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{ ${Object.entries(value).map(([k, v]) => `${k} = ${formatConfigValue(v)}`).join(', ')} }`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? typeof value;
}
