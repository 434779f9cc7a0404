import TOML from '@iarna/toml';
import { promises as fs } from 'node:fs';
import { ExpmanError, formatLocation, type ErrorDetails } from '../errors.js';
import {
  CONFIG_KEYS,
  CONFIG_SCHEMA,
  codeDefaults,
  describeExpected,
  isConfigKey,
  type ConfigKey,
  type FieldSpec,
  type FlatConfig,
} from './schema.js';
import { isValidName } from '../../shared/names.js';
import { locateKeys, type KeyPosition } from './toml-locate.js';
import { parseToml, stripBom, tomlSyntaxError } from './toml-text.js';

/** Where a value came from, weakest first. */
export type OriginKind = 'default' | 'default-config.toml' | 'config' | 'override';

export interface Origin {
  kind: OriginKind;
  /** File the value was read from (absent for code defaults and overrides). */
  file?: string;
  line?: number;
  column?: number;
  /** For overrides: the `key=value` text as given. */
  text?: string;
}

export interface ConfigLayer {
  kind: Exclude<OriginKind, 'default'>;
  file?: string;
  values: Partial<Record<ConfigKey, unknown>>;
  origins: Partial<Record<ConfigKey, Origin>>;
  /** Where each key of a table value (`model.params.units`) is set, by full dotted key. */
  tableOrigins?: Record<string, Origin>;
}

export interface ResolvedConfig {
  values: FlatConfig;
  origins: Record<ConfigKey, Origin>;
  /**
   * Where each key of a table value comes from (`model.params.units` → config.toml:12). Tables merge
   * key by key across layers, like the schema's own keys do.
   */
  tableOrigins?: Record<string, Origin>;
}

export interface ConfigIssue extends ErrorDetails {
  message: string;
}

/**
 * Tables that may appear in a config file but are not configuration: written by expman itself, or a sweep
 * definition that an experiment's config.toml may carry (`expman sweep start <config.toml>`).
 */
const IGNORED_TABLES = new Set(['provenance', 'sweep']);

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'datetime';
  if (typeof value === 'bigint') return 'integer (too large)';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (value !== null && typeof value === 'object') return 'table';
  return typeof value;
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

function inRange(value: number, spec: FieldSpec): boolean {
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) return false;
  if (spec.max !== undefined && (spec.exclusiveMax ? value >= spec.max : value > spec.max)) return false;
  return true;
}

/** Checks one value against its schema entry; returns the problem in words, or null when valid. */
export function checkValue(key: ConfigKey, value: unknown): string | null {
  const spec: FieldSpec = CONFIG_SCHEMA[key];
  const expected = describeExpected(spec);
  const got = `got ${typeName(value)} ${show(value)}`;
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || !inRange(value, spec)) return `expected ${expected}, ${got}`;
      return null;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, spec)) return `expected ${expected}, ${got}`;
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected ${expected}, ${got}`;
    case 'string':
      if (typeof value !== 'string') return `expected ${expected}, ${got}`;
      if (spec.values && !spec.values.includes(value)) return `expected ${expected}, ${got}`;
      if (value.length === 0 && !spec.allowEmpty) return `expected a non-empty string, got ""`;
      // A name becomes a path under $DATA: "../../elsewhere" would read (and probe for) files anywhere.
      if (spec.nameOf && value.length > 0 && !isValidName(value)) return `expected ${expected}, ${got}`;
      return null;
    case 'table': {
      if (!isTable(value)) return `expected ${expected}, ${got}`;
      for (const [name, item] of Object.entries(value)) {
        if (!isParamValue(item)) return `${name}: expected a number, string, boolean or an array of them, got ${typeName(item)} ${show(item)}`;
      }
      return null;
    }
    case 'string[]': {
      const ok = Array.isArray(value) && value.every((item) => typeof item === 'string') && (spec.maxItems === undefined || value.length <= spec.maxItems);
      return ok ? null : `expected ${expected}, ${got}`;
    }
    case 'integer[]': {
      const ok =
        Array.isArray(value) &&
        value.every((item) => typeof item === 'number' && Number.isInteger(item) && inRange(item, spec)) &&
        (spec.maxItems === undefined || value.length <= spec.maxItems);
      return ok ? null : `expected ${expected}, ${got}`;
    }
  }
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** "did you mean …" for a mistyped key, when one known key is close. */
export function suggestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of CONFIG_KEYS) {
    const distance = Math.min(editDistance(key, candidate), editDistance(key.split('.').pop()!, candidate.split('.').pop()!) + 1);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return bestDistance <= 3 ? best : undefined;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function isParamScalar(value: unknown): boolean {
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string' || typeof value === 'boolean';
}

function isParamValue(value: unknown): boolean {
  return isParamScalar(value) || (Array.isArray(value) && value.every(isParamScalar));
}

/** The schema key whose value is a table that `key` (`model.params.units`) is inside of, if any. */
function tableKeyOf(key: string): ConfigKey | undefined {
  const parent = key.slice(0, key.lastIndexOf('.'));
  return isConfigKey(parent) && CONFIG_SCHEMA[parent].type === 'table' ? parent : undefined;
}

function isSection(path: string): boolean {
  return CONFIG_KEYS.some((key) => key.startsWith(`${path}.`));
}

function issueMessage(issue: ConfigIssue): string {
  const where = formatLocation(issue) || (issue['source'] as string | undefined) || '';
  const key = issue.key ? `${issue.key}: ` : '';
  return `${where ? `${where}: ` : ''}${key}${issue.message}`;
}

/**
 * Problems listed one by one; past this many a text is plainly not a config file and the rest are only
 * counted ("and N more"), so a huge hostile text costs time linear in its size and a bounded answer.
 */
export const MAX_REPORTED_ISSUES = 100;
/**
 * Config files are tens of lines. A text with more is refused before it is parsed, so validating any
 * text the API accepts (up to 1 MiB) stays a matter of milliseconds for the one thread that serves
 * every client.
 */
export const MAX_CONFIG_LINES = 10_000;

/**
 * Throws one CONFIG_INVALID error listing the issues (at most MAX_REPORTED_ISSUES); the message leads
 * with the first. `omitted` counts problems found but not described.
 */
export function throwIssues(issues: ConfigIssue[], omitted = 0): never {
  const first = issues[0]!;
  const total = issues.length + omitted;
  const more = total > 1 ? ` (and ${(total - 1).toLocaleString('en-US')} more)` : '';
  const { message: _message, ...details } = first;
  throw new ExpmanError('CONFIG_INVALID', `${issueMessage(first)}${more}`, {
    ...details,
    issues: issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({ ...issue, text: issueMessage(issue) })),
    ...(total > MAX_REPORTED_ISSUES ? { omittedIssues: total - MAX_REPORTED_ISSUES } : {}),
  });
}

/** A config text checked against the schema: its valid values, and every problem found. */
export interface InspectedConfigText {
  layer: ConfigLayer;
  issues: ConfigIssue[];
  /** True when the text is not TOML at all (one issue, at the syntax error); the layer is then empty. */
  syntaxError: boolean;
  /** Problems found past `maxIssues`: counted, not described. */
  omitted: number;
}

/**
 * Checks a TOML config text without throwing: the layer holds the values that are valid, `issues` every
 * unknown key, wrong type and out-of-range value (with line and column). The editor shows all of them
 * live; `parseConfigText` refuses the text when there is any.
 */
export function inspectConfigText(source: string, file: string, kind: ConfigLayer['kind'], maxIssues = MAX_REPORTED_ISSUES): InspectedConfigText {
  const layer: ConfigLayer = { kind, file, values: {}, origins: {} };
  // Without the BOM, so that line 1's columns count from its first real character.
  const text = stripBom(source);
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1 && lines <= MAX_CONFIG_LINES; i = text.indexOf('\n', i + 1)) lines++;
  if (lines > MAX_CONFIG_LINES) {
    const message = `the text has more than ${MAX_CONFIG_LINES.toLocaleString('en-US')} lines: this is not a config file`;
    return { layer, issues: [{ message, file, line: MAX_CONFIG_LINES + 1, column: 1 }], syntaxError: true, omitted: 0 };
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text);
  } catch (error) {
    const { line, column, reason } = tomlSyntaxError(error);
    return { layer, issues: [{ message: `invalid TOML: ${reason}`, file, line, column }], syntaxError: true, omitted: 0 };
  }
  const positions = locateKeys(text);
  const issues: ConfigIssue[] = [];
  let omitted = 0;
  /** Whether to describe one more problem (a "did you mean" costs an edit distance per known key). */
  const describe = (): boolean => issues.length < maxIssues || (omitted++, false);
  const where = (key: string): Partial<KeyPosition> => positions.get(key) ?? positions.get(key.slice(0, key.lastIndexOf('.'))) ?? {};

  const walk = (table: Record<string, unknown>, prefix: string): void => {
    for (const [name, value] of Object.entries(table)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (!prefix && IGNORED_TABLES.has(name)) continue;
      if (isConfigKey(key)) {
        const problem = checkValue(key, value);
        if (problem) {
          if (describe()) issues.push({ message: problem, key, file, ...where(key), expected: describeExpected(CONFIG_SCHEMA[key]) });
        } else {
          layer.values[key] = value;
          layer.origins[key] = { kind, file, ...where(key) };
          if (CONFIG_SCHEMA[key].type === 'table') {
            layer.tableOrigins ??= {};
            for (const name of Object.keys(value as object)) layer.tableOrigins[`${key}.${name}`] = { kind, file, ...where(`${key}.${name}`) };
          }
        }
      } else if (isTable(value) && isSection(key)) {
        walk(value, key);
      } else if (describe()) {
        const suggestion = suggestKey(key);
        issues.push({
          message: `unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
          key,
          file,
          ...where(key),
        });
      }
    }
  };
  walk(parsed, '');
  return { layer, issues, syntaxError: false, omitted };
}

/**
 * Parses a TOML config text into a validated layer. `file` names it in errors. Unknown keys, wrong
 * types and out-of-range values are all collected and reported together.
 */
export function parseConfigText(text: string, file: string, kind: ConfigLayer['kind']): ConfigLayer {
  const { layer, issues, syntaxError, omitted } = inspectConfigText(text, file, kind);
  if (syntaxError) {
    const { line, column, message } = issues[0]!;
    throw new ExpmanError('CONFIG_PARSE', `${file}:${line}:${column}: ${message}`, { file, line, column });
  }
  if (issues.length) throwIssues(issues, omitted);
  return layer;
}

/** Reads a config file; a missing optional file gives null, a missing required one an error. */
export async function readConfigFile(file: string, kind: ConfigLayer['kind'], required: boolean): Promise<ConfigLayer | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return null;
    if (code === 'ENOENT') throw new ExpmanError('CONFIG_INVALID', `${file}: config file not found`, { file });
    throw new ExpmanError('CONFIG_INVALID', `${file}: cannot read config file (${code ?? String(error)})`, { file });
  }
  return parseConfigText(text, file, kind);
}

/**
 * Parses `--set key=value` overrides. The value is read as a TOML value (`5`, `0.1`, `true`, `[32, 32]`,
 * `"text"`); for string keys an unquoted word is taken as is (`--set training.optimizer=sgd`).
 */
export function parseOverrides(assignments: readonly string[], source = 'command line'): ConfigLayer {
  const layer: ConfigLayer = { kind: 'override', values: {}, origins: {} };
  const issues: ConfigIssue[] = [];
  for (const text of assignments) {
    const eq = text.indexOf('=');
    if (eq <= 0) {
      issues.push({ message: `expected key=value, got ${JSON.stringify(text)}`, source: `${source} --set` });
      continue;
    }
    const key = text.slice(0, eq).trim();
    const raw = text.slice(eq + 1).trim();
    const table = tableKeyOf(key);
    if (table) {
      // `--set model.params.units=32`: one key of a table; an unquoted word is a string.
      let value: unknown = raw;
      try {
        value = (TOML.parse(`v = ${raw}`) as { v: unknown }).v;
      } catch {
        value = raw;
      }
      const name = key.slice(table.length + 1);
      const problem = checkValue(table, { [name]: value });
      if (problem) {
        issues.push({ message: problem, key, source: `${source} --set ${text}` });
        continue;
      }
      layer.values[table] = { ...(layer.values[table] as object | undefined), [name]: value };
      layer.origins[table] = { kind: 'override', text };
      layer.tableOrigins = { ...layer.tableOrigins, [key]: { kind: 'override', text } };
      continue;
    }
    if (!isConfigKey(key)) {
      const suggestion = suggestKey(key);
      issues.push({ message: `unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, key, source: `${source} --set` });
      continue;
    }
    const spec: FieldSpec = CONFIG_SCHEMA[key];
    let value: unknown = raw;
    const quoted = raw.startsWith('"') || raw.startsWith("'");
    if (spec.type !== 'string' || quoted) {
      try {
        value = (TOML.parse(`v = ${raw}`) as { v: unknown }).v;
      } catch {
        value = raw;
      }
    }
    const problem = checkValue(key, value);
    if (problem) {
      issues.push({ message: problem, key, source: `${source} --set ${text}`, expected: describeExpected(spec) });
      continue;
    }
    layer.values[key] = value;
    layer.origins[key] = { kind: 'override', text };
  }
  if (issues.length) throwIssues(issues);
  return layer;
}

/** Applies layers over the code defaults, weakest first; later layers win key by key. */
export function resolveConfig(layers: ReadonlyArray<ConfigLayer | null>): ResolvedConfig {
  const values = codeDefaults() as Record<ConfigKey, unknown>;
  const origins = {} as Record<ConfigKey, Origin>;
  for (const key of CONFIG_KEYS) origins[key] = { kind: 'default' };
  const tableOrigins: Record<string, Origin> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(layer.values) as ConfigKey[]) {
      const value = layer.values[key];
      if (CONFIG_SCHEMA[key].type === 'table') {
        values[key] = { ...(values[key] as object), ...(value as object) };
        for (const name of Object.keys(value as object)) {
          tableOrigins[`${key}.${name}`] = layer.tableOrigins?.[`${key}.${name}`] ?? layer.origins[key]!;
        }
      } else {
        values[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
      }
      origins[key] = layer.origins[key]!;
    }
  }
  return { values: values as FlatConfig, origins, tableOrigins };
}

/** Short text for an origin, as `config show --origin` prints it. */
export function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'override':
      return `override (--set ${origin.text})`;
    default:
      return `${origin.kind === 'config' ? 'config file' : 'default-config.toml'} ${formatLocation(origin)}`;
  }
}
