import type { Origin } from '../config/resolve.js';
import type { ConfigIssue } from '../config/resolve.js';
import type { ParamTable, ParamValue } from '../config/schema.js';
import { ExpmanError } from '../errors.js';

/**
 * A model module's `paramsSchema`: a small declarative schema for its `[model.params]` table, so a typo
 * or a wrong type is an error with file, line and key before anything trains, like the built-in keys.
 * Plain data (no functions), so it can be read in a child process and sent to the UI as JSON.
 */
export const PARAM_TYPES = ['integer', 'number', 'string', 'boolean', 'integer[]', 'number[]'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamSpec {
  type: ParamType;
  default?: ParamValue;
  min?: number;
  max?: number;
  /** Strings only: the value must be one of these. */
  choices?: string[];
  doc?: string;
}

export type ParamsSchema = Record<string, ParamSpec>;

const SPEC_KEYS = new Set(['type', 'default', 'min', 'max', 'choices', 'doc']);

/** Checks an exported `paramsSchema` itself; a malformed one is the module's error, named by file and key. */
export function parseParamsSchema(raw: unknown, file: string): ParamsSchema {
  const fail = (key: string, message: string): never => {
    throw new ExpmanError('MODEL_MODULE', `${file}: paramsSchema.${key}: ${message}`, { file, key: `paramsSchema.${key}` });
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ExpmanError('MODEL_MODULE', `${file}: paramsSchema must be an object of { type, default, min, max, choices }`, { file });
  }
  const schema: ParamsSchema = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object') fail(key, 'expected { type, default, min, max, choices, doc }');
    const spec = value as Record<string, unknown>;
    for (const name of Object.keys(spec)) if (!SPEC_KEYS.has(name)) fail(key, `unknown field "${name}" (fields: ${[...SPEC_KEYS].join(', ')})`);
    if (!PARAM_TYPES.includes(spec['type'] as ParamType)) fail(key, `type must be one of ${PARAM_TYPES.join(', ')}, got ${JSON.stringify(spec['type'])}`);
    for (const bound of ['min', 'max'] as const) {
      if (spec[bound] !== undefined && (typeof spec[bound] !== 'number' || !Number.isFinite(spec[bound]))) fail(key, `${bound} must be a number`);
    }
    if (spec['choices'] !== undefined && (!Array.isArray(spec['choices']) || !spec['choices'].every((c) => typeof c === 'string'))) fail(key, 'choices must be an array of strings');
    if (spec['doc'] !== undefined && typeof spec['doc'] !== 'string') fail(key, 'doc must be a string');
    const parsed = { ...spec } as unknown as ParamSpec;
    if (parsed.default !== undefined) {
      const problem = checkParam(parsed, parsed.default);
      if (problem) fail(key, `default: ${problem}`);
    }
    schema[key] = parsed;
  }
  return schema;
}

function describe(spec: ParamSpec): string {
  if (spec.choices) return `one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}`;
  const bounds = [spec.min !== undefined ? `≥ ${spec.min}` : '', spec.max !== undefined ? `≤ ${spec.max}` : ''].filter(Boolean).join(' and ');
  return `${spec.type}${bounds ? ` ${bounds}` : ''}`;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return typeof value;
}

/** One value against its spec: the problem in words, or null. Integers are accepted where numbers are. */
export function checkParam(spec: ParamSpec, value: unknown): string | null {
  const got = `got ${typeName(value)} ${JSON.stringify(value)}`;
  const number = (v: unknown, integer: boolean): boolean =>
    typeof v === 'number' && Number.isFinite(v) && (!integer || Number.isInteger(v)) && (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
  const ok = ((): boolean => {
    switch (spec.type) {
      case 'integer':
        return number(value, true);
      case 'number':
        return number(value, false);
      case 'boolean':
        return typeof value === 'boolean';
      case 'string':
        return typeof value === 'string' && (!spec.choices || spec.choices.includes(value));
      case 'integer[]':
        return Array.isArray(value) && value.every((v) => number(v, true));
      case 'number[]':
        return Array.isArray(value) && value.every((v) => number(v, false));
    }
  })();
  return ok ? null : `expected ${describe(spec)}, ${got}`;
}

/**
 * Every problem of a `[model.params]` table against a module's schema (unknown keys, wrong types), each
 * located where the value was set (config file and line, or the `--set` override).
 */
export function checkParams(params: ParamTable, schema: ParamsSchema, origins: Record<string, Origin> | undefined, moduleFile: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    const key = `model.params.${name}`;
    const origin = origins?.[key];
    const where = origin?.file ? { file: origin.file, ...(origin.line !== undefined ? { line: origin.line, column: origin.column } : {}) } : origin?.text ? { source: `--set ${origin.text}` } : {};
    const spec = schema[name];
    if (!spec) {
      const known = Object.keys(schema);
      issues.push({ message: `unknown key for model module ${moduleFile} (it accepts: ${known.length ? known.join(', ') : 'no params'})`, key, ...where });
      continue;
    }
    const problem = checkParam(spec, value);
    if (problem) issues.push({ message: problem, key, ...where, expected: describe(spec) });
  }
  return issues;
}

/** The params a module's build receives: the schema's defaults under the configured values. */
export function withDefaults(params: ParamTable, schema: ParamsSchema | undefined): ParamTable {
  const out: ParamTable = {};
  for (const [name, spec] of Object.entries(schema ?? {})) if (spec.default !== undefined) out[name] = spec.default;
  return { ...out, ...params };
}
