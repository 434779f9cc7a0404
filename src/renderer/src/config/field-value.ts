import type { ConfigFieldSpec, ConfigOriginDto, ConfigTable, ConfigValue } from '../../../shared/config';

/** A value as the form and the resolved table show it: lists as "16, 16", strings unquoted. */
export function formatConfigValue(value: ConfigValue | undefined): string {
  if (value === undefined) return '';
  // An argument list keeps its quotes (`["python3", "my train.py"]`): a word may contain spaces.
  if (Array.isArray(value)) return value.some((item) => typeof item === 'string') ? JSON.stringify(value) : value.join(', ');
  if (typeof value === 'object') return formatTable(value);
  return String(value);
}

/** A table as the form edits it: one `name = value` per line, values in TOML/JSON form. */
function formatTable(table: ConfigTable): string {
  return Object.entries(table)
    .map(([name, item]) => `${name} = ${JSON.stringify(item)}`)
    .join('\n');
}

/**
 * The table editor's text back as a table: `name = value` lines; a value is read as JSON (numbers,
 * booleans, "strings", [lists]) and an unquoted word is a string. A line without `=` makes the whole
 * value a string, which the core refuses with its usual message.
 */
function parseTable(text: string): ConfigTable | string {
  const table: ConfigTable = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return text;
    const raw = line.slice(eq + 1).trim();
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    table[line.slice(0, eq).trim()] = value as ConfigTable[string];
  }
  return table;
}

/** The same for the resolved table, where an empty string or list must still be visible. */
export function displayConfigValue(value: ConfigValue): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if (typeof value === 'object') return `{ ${Object.entries(value).map(([name, item]) => `${name} = ${JSON.stringify(item)}`).join(', ')} }`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function parseNumber(text: string): number | string {
  return NUMBER.test(text) ? Number(text) : text;
}

/**
 * What a form input's text means as a value for `field`. An empty input means "not set here" (null:
 * the key is removed and inherits). Text that is not a number stays a string, so the core's check
 * refuses it with the usual message ("expected integer …, got string …") instead of the form guessing.
 */
export function parseFieldInput(field: ConfigFieldSpec, input: string): ConfigValue | null {
  const text = input.trim();
  if (field.type === 'string') return input === '' ? null : input;
  if (text === '') return null;
  switch (field.type) {
    case 'integer':
    case 'number':
      return parseNumber(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'integer[]': {
      const inner = text.replace(/^\[/, '').replace(/\]$/, '').trim();
      if (inner === '') return [];
      // A non-numeric item makes the whole value a string, for the core to refuse with its message.
      const items = inner.split(/[\s,]+/).filter(Boolean).map(parseNumber);
      return items.every((item) => typeof item === 'number') ? (items) : text;
    }
    case 'string[]':
      return parseStringList(text);
    case 'table':
      return parseTable(input);
  }
}

/**
 * An argument list as typed: a TOML/JSON array (`["python3", "train.py"]`) or words separated by spaces
 * (`python3 train.py`); text that is neither stays a string, for the core to refuse with its message.
 */
function parseStringList(text: string): string[] | string {
  if (text.startsWith('[')) {
    try {
      const value = JSON.parse(text) as unknown;
      return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : text;
    } catch {
      return text;
    }
  }
  return text.split(/\s+/).filter(Boolean);
}

/** Short words for where a value comes from: default, default-config.toml:3, config.toml:5, override. */
export function originLabel(origin: ConfigOriginDto): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'override':
      return 'override';
    case 'default-config.toml':
      return `default-config.toml${origin.line !== undefined ? `:${origin.line}` : ''}`;
    case 'config': {
      const name = origin.file ? origin.file.split(/[\\/]/).pop()! : 'config.toml';
      return `${name}${origin.line !== undefined ? `:${origin.line}` : ''}`;
    }
  }
}

/** Longer text for a tooltip: the full file path, or the override as given. */
export function originTitle(origin: ConfigOriginDto): string {
  switch (origin.kind) {
    case 'default':
      return 'Code default (no file sets it)';
    case 'override':
      return `Override: --set ${origin.text ?? ''}`;
    default:
      return `${origin.file ?? origin.kind}${origin.line !== undefined ? `:${origin.line}${origin.column !== undefined ? `:${origin.column}` : ''}` : ''}`;
  }
}
