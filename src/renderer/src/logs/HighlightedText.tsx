import type { JSX } from 'react';

/** `text` with every match of `pattern` (a global RegExp) wrapped in <mark>. */
export function HighlightedText({ text, pattern }: { text: string; pattern: RegExp | undefined }): JSX.Element {
  if (!pattern) return <>{text}</>;
  const parts: (string | JSX.Element)[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[0] === '') {
      // An empty match (e.g. /a*/) highlights nothing; step past it so exec() moves on.
      pattern.lastIndex++;
      continue;
    }
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(
      <mark key={match.index} className="logv-mark">
        {match[0]}
      </mark>,
    );
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <>{parts}</>;
}
