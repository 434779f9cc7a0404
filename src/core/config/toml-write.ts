import TOML from '@iarna/toml';
import { CONFIG_KEYS, CONFIG_SCHEMA, SECTION_ORDER, leafOf, sectionOf, type ConfigKey, type FieldSpec, type FlatConfig } from './schema.js';

/** One value as TOML text, in the form its schema type declares. */
export function formatValue(spec: FieldSpec, value: unknown): string {
  switch (spec.type) {
    case 'number': {
      const n = value as number;
      // Keep floats floats in TOML ("0.0", not "0") so other TOML readers see the declared type.
      return Number.isInteger(n) ? n.toFixed(1) : String(n);
    }
    case 'integer':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'integer[]':
      return `[${(value as number[]).join(', ')}]`;
    case 'string[]':
      return `[${(value as string[]).map((item) => JSON.stringify(item)).join(', ')}]`;
    case 'table':
      if (Object.keys(value as object).length === 0) return '{}';
      // An inline table keeps the key in its [section] like every other key; TOML's own writer gives
      // each value its exact TOML form (strings escaped, floats kept floats).
      return `{ ${Object.entries(value as Record<string, unknown>)
        .map(([name, item]) => TOML.stringify({ [name]: item } as TOML.JsonMap).trim())
        .join(', ')} }`;
  }
}

export interface WriteOptions {
  /** Write each key's documentation as a comment above it (default-config.toml style). */
  docs?: boolean;
  /** Only these keys (e.g. the keys of one layer); all keys when absent. */
  keys?: readonly ConfigKey[];
  /** Lines of `# ...` text at the top. */
  header?: readonly string[];
}

/** Serialises a configuration as TOML in the schema's section order. */
export function configToToml(values: Partial<FlatConfig>, options: WriteOptions = {}): string {
  const keys = new Set(options.keys ?? CONFIG_KEYS);
  const out: string[] = (options.header ?? []).map((line) => (line ? `# ${line}` : '#'));
  if (out.length) out.push('');
  for (const section of SECTION_ORDER) {
    const sectionKeys = CONFIG_KEYS.filter((key) => sectionOf(key) === section && keys.has(key) && values[key] !== undefined);
    if (!sectionKeys.length) continue;
    out.push(`[${section}]`);
    for (const key of sectionKeys) {
      const spec: FieldSpec = CONFIG_SCHEMA[key];
      if (options.docs) out.push(`# ${spec.doc}${spec.values ? ` One of: ${spec.values.join(', ')}.` : ''}`);
      out.push(`${leafOf(key)} = ${formatValue(spec, values[key])}`);
    }
    out.push('');
  }
  // Top-level tables (`[params]`) come after the schema's sections, as tables of their own.
  for (const key of CONFIG_KEYS.filter((k) => sectionOf(k) === '' && keys.has(k) && values[k] !== undefined)) {
    const spec: FieldSpec = CONFIG_SCHEMA[key];
    if (options.docs) out.push(`# ${spec.doc}`);
    out.push(`[${key}]`, ...Object.entries(values[key] as Record<string, unknown>).map(([name, item]) => TOML.stringify({ [name]: item } as TOML.JsonMap).trim()), '');
  }
  return out.join('\n');
}

/** Appends a [provenance] table (any JSON-like data) after a config. */
export function withProvenance(configToml: string, provenance: Record<string, unknown>): string {
  return `${configToml}\n${TOML.stringify({ provenance } as TOML.JsonMap)}`;
}
