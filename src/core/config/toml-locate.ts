/**
 * Finds the line and column where each dotted key is assigned in a TOML text, so validation errors can
 * point at `file:line:column`. @iarna/toml reports positions for syntax errors only; the layout scan
 * (toml-scan.ts, also used to edit values in place) gives the offsets, turned here into positions.
 */
import { scanToml } from './toml-scan.js';

export interface KeyPosition {
  line: number;
  column: number;
}

export function locateKeys(text: string): Map<string, KeyPosition> {
  const positions = new Map<string, KeyPosition>();
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  let line = 0;
  // Offsets arrive in increasing order, so one forward walk over the line starts is enough.
  const positionOf = (offset: number): KeyPosition => {
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= offset) line++;
    let column = offset - lineStarts[line]!;
    while (text[lineStarts[line]! + column] === ' ' || text[lineStarts[line]! + column] === '\t') column++;
    return { line: line + 1, column: column + 1 };
  };
  const { headers, assignments } = scanToml(text);
  const items = [
    ...headers.map((header) => ({ offset: header.lineStart, key: header.table, header: true })),
    ...assignments.map((assignment) => ({ offset: assignment.lineStart, key: assignment.key, header: false })),
  ].sort((a, b) => a.offset - b.offset);
  for (const item of items) {
    // A table's position is its first header; a key's is its (last) assignment.
    if (item.header && positions.has(item.key)) {
      positionOf(item.offset);
      continue;
    }
    positions.set(item.key, positionOf(item.offset));
  }
  return positions;
}
