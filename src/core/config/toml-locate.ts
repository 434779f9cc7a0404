/**
 * Finds the line and column where each dotted key is assigned in a TOML text, so validation errors can
 * point at `file:line:column`. @iarna/toml reports positions for syntax errors only; this covers the
 * constructs config files use: [table] headers, `key = value` and dotted keys, with comments.
 */
export interface KeyPosition {
  line: number;
  column: number;
}

const HEADER = /^(\s*)\[\s*([^\][]+?)\s*\]\s*(#.*)?$/;
const ASSIGN = /^(\s*)([A-Za-z0-9_\-."' ]+?)\s*=/;

function unquoteKey(path: string): string {
  return path
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .join('.');
}

export function locateKeys(text: string): Map<string, KeyPosition> {
  const positions = new Map<string, KeyPosition>();
  let table = '';
  let depth = 0; // open brackets of a multi-line array value; lines inside it are not keys
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (depth > 0) {
      depth += bracketBalance(raw);
      return;
    }
    const header = HEADER.exec(raw);
    if (header && !raw.trimStart().startsWith('[[')) {
      table = unquoteKey(header[2]!);
      if (!positions.has(table)) positions.set(table, { line, column: header[1]!.length + 1 });
      return;
    }
    const assign = ASSIGN.exec(raw);
    if (assign) {
      const key = unquoteKey(assign[2]!);
      const full = table ? `${table}.${key}` : key;
      positions.set(full, { line, column: assign[1]!.length + 1 });
      depth = Math.max(0, bracketBalance(raw.slice(assign[0].length)));
    }
  });
  return positions;
}

function bracketBalance(fragment: string): number {
  let balance = 0;
  let quote: string | null = null;
  for (const ch of fragment) {
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') break;
    else if (ch === '[') balance++;
    else if (ch === ']') balance--;
  }
  return balance;
}
