import type { Diagnostic } from '@codemirror/lint';
import type { Text } from '@codemirror/state';
import type { ConfigIssueDto } from '../../../shared/config';

/** The message under the squiggle: names the key and what it accepts, as the core words it. */
export function issueText(issue: ConfigIssueDto): string {
  const key = issue.key ? `${issue.key}: ` : '';
  const expected = issue.expected && !issue.message.includes(issue.expected) ? ` (expected ${issue.expected})` : '';
  return `${key}${issue.message}${expected}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The line that assigns `key`'s last part (plain or dotted), for issues the core could not place. */
function findKeyLine(doc: Text, key: string): number | null {
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  const pattern = new RegExp(`^\\s*(?:[\\w"'-]+\\s*\\.\\s*)*["']?${escapeRegExp(leaf)}["']?\\s*=`);
  for (let n = 1; n <= doc.lines; n++) if (pattern.test(doc.line(n).text)) return n;
  return null;
}

function clampLine(doc: Text, line: number): number {
  return Math.min(Math.max(1, line), doc.lines);
}

/** Offset of a 1-based line/column, clamped into the document (the text may have changed since). */
function offsetOf(doc: Text, line: number, column: number | undefined): number {
  const target = doc.line(clampLine(doc, line));
  return target.from + Math.min(Math.max(0, (column ?? 1) - 1), target.length);
}

/**
 * Maps the core's issues onto the document as lint diagnostics. The core gives line/column and usually
 * the end of the range; without an end the rest of the line is underlined (a syntax error: one
 * character), without a line the key's assignment is searched for, and failing that line 1 carries
 * it. Issues in other files or overrides (`source`) are not in this text and are left to the issue list.
 */
export function issuesToDiagnostics(doc: Text, issues: readonly ConfigIssueDto[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of issues) {
    if (issue.source) continue;
    let line = issue.line;
    let column = issue.column;
    if (line === undefined) {
      line = (issue.key && findKeyLine(doc, issue.key)) || 1;
      column = undefined;
    }
    const from = offsetOf(doc, line, column);
    let to: number;
    if (issue.endLine !== undefined) {
      to = offsetOf(doc, issue.endLine, issue.endColumn);
    } else if (issue.syntax) {
      to = from + 1;
    } else {
      const lineText = doc.line(clampLine(doc, line));
      to = lineText.from + lineText.text.replace(/\s*#.*$/, '').trimEnd().length;
    }
    let start = from;
    to = Math.min(Math.max(to, from), doc.length);
    if (to === from) {
      // An empty range would be invisible: take the next character, or the one before at a line's end.
      const lineAt = doc.lineAt(from);
      if (from < lineAt.to) to = from + 1;
      else if (from > lineAt.from) start = from - 1;
    }
    diagnostics.push({ from: start, to, severity: 'error', message: issueText(issue) });
  }
  return diagnostics;
}
