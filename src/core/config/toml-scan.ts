/**
 * A layout scan of a TOML text: where each table header and each `key = value` assignment is, as
 * offsets, so a value can be replaced in place and a new key inserted next to its siblings while every
 * comment, blank line and the order stay as the user wrote them. @iarna/toml gives values only, no
 * positions. The scan covers what config files use: [table] headers, bare/quoted/dotted keys, strings
 * (basic, literal, multi-line), arrays and inline tables spanning lines, and comments.
 */
export interface TomlAssignment {
  /** Full dotted key: the table plus the key as written (`[training]` + `early_stopping.patience`). */
  key: string;
  /** The table whose header precedes it ("" at the top). */
  table: string;
  /** The key as written inside its table, unquoted. */
  relativeKey: string;
  /** Offset of the start of the line the assignment begins on. */
  lineStart: number;
  valueStart: number;
  valueEnd: number;
  /** Offset of the end of the line the value ends on (before its newline; after any trailing comment). */
  lineEnd: number;
}

export interface TomlHeader {
  table: string;
  lineStart: number;
  lineEnd: number;
  /** True for `[[array.of.tables]]`. */
  arrayTable: boolean;
}

export interface TomlScan {
  assignments: TomlAssignment[];
  headers: TomlHeader[];
}

const KEY_PART = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')`;
const ASSIGNMENT = new RegExp(String.raw`^[ \t]*(${KEY_PART}(?:[ \t]*\.[ \t]*${KEY_PART})*)[ \t]*=[ \t]*`);
const HEADER = new RegExp(String.raw`^[ \t]*(\[\[?)[ \t]*(${KEY_PART}(?:[ \t]*\.[ \t]*${KEY_PART})*)[ \t]*\]\]?`);
const PART = new RegExp(KEY_PART, 'g');

/** `a."b.c".'d'` → `a.b.c.d` as a path string; quoted parts are unquoted (escapes are kept as written). */
export function unquoteDottedKey(written: string): string {
  return (written.match(PART) ?? []).map((part) => (part.startsWith('"') || part.startsWith("'") ? part.slice(1, -1) : part)).join('.');
}

function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  const end = newline === -1 ? text.length : newline;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

function nextLineStart(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/** Skips a quoted string starting at `i`; returns the offset after its closing quote. */
function skipString(text: string, i: number): number {
  const quote = text[i]!;
  const triple = text.startsWith(quote.repeat(3), i);
  if (triple) {
    let j = i + 3;
    while (j < text.length) {
      if (quote === '"' && text[j] === '\\') {
        j += 2;
        continue;
      }
      if (text.startsWith(quote.repeat(3), j)) {
        j += 3;
        // A closing delimiter may be preceded by up to two quotes that belong to the string.
        while (text[j] === quote && j < text.length) j++;
        return j;
      }
      j++;
    }
    return text.length;
  }
  let j = i + 1;
  while (j < text.length && text[j] !== '\n') {
    if (quote === '"' && text[j] === '\\') {
      j += 2;
      continue;
    }
    if (text[j] === quote) return j + 1;
    j++;
  }
  return j;
}

/** Offset just after the TOML value that starts at `start`. */
export function scanValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"' || first === "'") return skipString(text, start);
  if (first === '[' || first === '{') {
    let depth = 0;
    let j = start;
    while (j < text.length) {
      const ch = text[j]!;
      if (ch === '"' || ch === "'") {
        j = skipString(text, j);
        continue;
      }
      if (ch === '#') {
        j = lineEndAt(text, j);
        continue;
      }
      if (ch === '[' || ch === '{') depth++;
      else if (ch === ']' || ch === '}') {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return text.length;
  }
  // Bare values (numbers, booleans, dates): up to a comment or the end of the line.
  let end = lineEndAt(text, start);
  const hash = text.indexOf('#', start);
  if (hash !== -1 && hash < end) end = hash;
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  return end;
}

export function scanToml(text: string): TomlScan {
  const assignments: TomlAssignment[] = [];
  const headers: TomlHeader[] = [];
  let table = '';
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = lineEndAt(text, pos);
    const line = text.slice(pos, lineEnd);
    const header = HEADER.exec(line);
    if (header) {
      table = unquoteDottedKey(header[2]!);
      headers.push({ table, lineStart: pos, lineEnd, arrayTable: header[1] === '[[' });
      pos = nextLineStart(text, pos);
      continue;
    }
    const assignment = ASSIGNMENT.exec(line);
    if (assignment) {
      const relativeKey = unquoteDottedKey(assignment[1]!);
      const valueStart = pos + assignment[0].length;
      const valueEnd = scanValue(text, valueStart);
      const end = lineEndAt(text, valueEnd);
      assignments.push({ key: table ? `${table}.${relativeKey}` : relativeKey, table, relativeKey, lineStart: pos, valueStart, valueEnd, lineEnd: end });
      pos = nextLineStart(text, end);
      continue;
    }
    pos = nextLineStart(text, pos);
  }
  return { assignments, headers };
}
