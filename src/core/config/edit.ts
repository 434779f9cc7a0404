import TOML from '@iarna/toml';
import { ExpmanError } from '../errors.js';
import { checkValue, inspectConfigText, suggestKey } from './resolve.js';
import { CONFIG_SCHEMA, SECTION_ORDER, describeExpected, isConfigKey, leafOf, sectionOf, type ConfigKey, type FieldSpec } from './schema.js';
import { scanToml, type TomlAssignment, type TomlScan } from './toml-scan.js';
import { parseToml } from './toml-text.js';
import { formatValue } from './toml-write.js';

/**
 * Edits of one key in a config file's TOML text, as the form view makes them: the rest of the text
 * (comments, blank lines, order, quoting) stays exactly as the user wrote it, so switching between the
 * form and the text never rewrites the file.
 */

const EDITED_TEXT = 'config text';

function refuseUnparsable(text: string): void {
  const { syntaxError, issues } = inspectConfigText(text, EDITED_TEXT, 'config');
  if (!syntaxError) return;
  const { line, column, message } = issues[0]!;
  throw new ExpmanError('CONFIG_PARSE', `${EDITED_TEXT}:${line}:${column}: ${message} (fix it in the text before editing values)`, {
    line,
    column,
  });
}

function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function lastOf<T>(items: readonly T[]): T | undefined {
  return items[items.length - 1];
}

/** Offset where a new `[section]` goes: before the first later section of SECTION_ORDER, with its comments. */
function sectionInsertOffset(text: string, scan: TomlScan, section: string): number | null {
  const order: readonly string[] = SECTION_ORDER;
  const rank = order.indexOf(section);
  // [provenance] (in a run's saved config) always stays last.
  const later = scan.headers.find((header) => order.indexOf(header.table) > rank || header.table === 'provenance');
  if (!later) return null;
  // Comment lines directly above a header describe it: keep them with it. Comments that open the file
  // describe the file, so a new table goes after those.
  let offset = later.lineStart;
  while (offset > 0) {
    const previousStart = text.lastIndexOf('\n', offset - 2) + 1;
    const previous = text.slice(previousStart, offset).trim();
    if (!previous.startsWith('#')) break;
    offset = previousStart;
  }
  return offset === 0 ? later.lineStart : offset;
}

function insertAfterLine(text: string, lineEnd: number, line: string): string {
  const nl = newlineOf(text);
  return `${text.slice(0, lineEnd)}${nl}${line}${text.slice(lineEnd)}`;
}

function insertAssignment(text: string, scan: TomlScan, key: ConfigKey, formatted: string): string {
  const section = sectionOf(key);
  const nl = newlineOf(text);
  // 1. Next to a key of the same table, written the same way (plain or dotted).
  const sibling = lastOf(scan.assignments.filter((a) => sectionOf(a.key) === section));
  if (sibling) {
    const prefix = sibling.relativeKey.includes('.') ? `${sectionOf(sibling.relativeKey)}.` : '';
    return insertAfterLine(text, sibling.lineEnd, `${prefix}${leafOf(key)} = ${formatted}`);
  }
  // 2. At the end of the table's own [section].
  const header = scan.headers.find((h) => h.table === section && !h.arrayTable);
  if (header) {
    const headerIndex = scan.headers.indexOf(header);
    const next = scan.headers[headerIndex + 1];
    const inTable = scan.assignments.filter((a) => a.lineStart > header.lineStart && (!next || a.lineStart < next.lineStart));
    const after = lastOf(inTable)?.lineEnd ?? header.lineEnd;
    return insertAfterLine(text, after, `${leafOf(key)} = ${formatted}`);
  }
  // 3. A new [section], in schema order among the others.
  const block = `[${section}]${nl}${leafOf(key)} = ${formatted}${nl}`;
  const offset = sectionInsertOffset(text, scan, section);
  if (offset !== null) return `${text.slice(0, offset)}${block}${nl}${text.slice(offset)}`;
  if (!text.trim()) return block;
  const body = text.endsWith('\n') ? text : `${text}${nl}`;
  return `${body}${body.endsWith(`${nl}${nl}`) ? '' : nl}${block}`;
}

/** A table of its own at the top of the schema (`[params]`), edited as a whole block. */
function isTopLevelTable(key: ConfigKey): boolean {
  return sectionOf(key) === '' && CONFIG_SCHEMA[key].type === 'table';
}

function tableBlock(key: string, table: Record<string, unknown>, nl: string): string {
  return [`[${key}]`, ...Object.entries(table).map(([name, item]) => TOML.stringify({ [name]: item } as TOML.JsonMap).trim()), ''].join(nl);
}

/**
 * Replaces a top-level table's `[key]` block (header to the next header) with `block`, or adds the block
 * at the end (before a run's [provenance]). The form edits such a table as a whole; comments inside the
 * block go with it, the rest of the text stays as written.
 */
function replaceTopLevelTable(text: string, scan: TomlScan, key: string, block: string): string {
  const nl = newlineOf(text);
  const header = scan.headers.find((h) => h.table === key && !h.arrayTable);
  if (header) {
    const next = scan.headers[scan.headers.indexOf(header) + 1];
    const end = next ? next.lineStart : text.length;
    const rest = text.slice(end);
    return `${text.slice(0, header.lineStart)}${block}${block && rest ? nl : ''}${rest}`;
  }
  if (!block) return text;
  const provenance = scan.headers.find((h) => h.table === 'provenance');
  if (provenance) return `${text.slice(0, provenance.lineStart)}${block}${nl}${text.slice(provenance.lineStart)}`;
  if (!text.trim()) return block;
  const body = text.endsWith('\n') ? text : `${text}${nl}`;
  return `${body}${body.endsWith(`${nl}${nl}`) ? '' : nl}${block}`;
}

function valueAt(parsed: Record<string, unknown>, key: string): unknown {
  let node: unknown = parsed;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function findAssignment(scan: TomlScan, key: string): TomlAssignment | undefined {
  return scan.assignments.find((a) => a.key === key);
}

/**
 * Sets `key` to `value` in a config text and returns the new text. The value is checked against the
 * schema first (an invalid one is refused with the same message a config file would get); an existing
 * assignment has its value replaced in place, a missing one is added to its table, creating the table
 * in schema order when the text has none.
 */
export function setConfigValue(text: string, key: string, value: unknown): string {
  if (!isConfigKey(key)) {
    const suggestion = suggestKey(key);
    throw new ExpmanError('CONFIG_INVALID', `${key}: unknown key${suggestion ? ` (did you mean ${suggestion}?)` : ''}`, { key });
  }
  const spec: FieldSpec = CONFIG_SCHEMA[key];
  const problem = checkValue(key, value);
  if (problem) throw new ExpmanError('CONFIG_INVALID', `${key}: ${problem}`, { key, expected: describeExpected(spec) });
  refuseUnparsable(text);

  const formatted = formatValue(spec, value);
  const scan = scanToml(text);
  const existing = findAssignment(scan, key);
  const next = isTopLevelTable(key)
    ? replaceTopLevelTable(text, scan, key, tableBlock(key, value as Record<string, unknown>, newlineOf(text)))
    : existing
      ? `${text.slice(0, existing.valueStart)}${formatted}${text.slice(existing.valueEnd)}`
      : insertAssignment(text, scan, key, formatted);

  // The scan covers the layouts config files use; anything it misreads (an inline table, a table made
  // by dotted keys elsewhere) would give a text that does not say what was asked. Never return that.
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = parseToml(next);
  } catch {
    parsed = null;
  }
  if (!parsed || JSON.stringify(valueAt(parsed, key)) !== JSON.stringify(value)) {
    throw new ExpmanError('CONFIG_INVALID', `${key}: cannot set this key in the text's layout (edit it in the text view)`, { key });
  }
  return next;
}

/**
 * Removes the assignment of `key` (the value then comes from the layer below: default-config.toml or
 * the code default). The assignment's lines, with a comment on the same line, go; other comments stay.
 * A key that the text does not set leaves it unchanged.
 */
export function removeConfigValue(text: string, key: string): string {
  refuseUnparsable(text);
  if (isConfigKey(key) && isTopLevelTable(key)) return replaceTopLevelTable(text, scanToml(text), key, '');
  const existing = findAssignment(scanToml(text), key);
  if (!existing) return text;
  const newline = text.indexOf('\n', existing.lineEnd);
  const end = newline === -1 ? text.length : newline + 1;
  // At the very end of a text without a final newline, take the newline before it instead.
  const start = newline === -1 && existing.lineStart > 0 ? existing.lineStart - (text[existing.lineStart - 2] === '\r' ? 2 : 1) : existing.lineStart;
  return `${text.slice(0, start)}${text.slice(end)}`;
}
