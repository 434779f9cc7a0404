import { memo, type JSX, type MouseEvent } from 'react';
import type { LogLine } from '../../../shared/logs';
import { HighlightedText } from './HighlightedText';

export interface LogRowProps {
  row: number;
  /** Undefined while its block is being read. */
  line: LogLine | undefined;
  current: boolean;
  selected: boolean;
  highlight: RegExp | undefined;
  onSelect: (event: MouseEvent, row: number) => void;
}

/**
 * One row of the viewer. Memoised: a scroll frame renders only the rows that came into view, not every
 * row of the window (lines are cached objects, so an unchanged row keeps the same props).
 */
export const LogRow = memo(function LogRow({ row, line, current, selected, highlight, onSelect }: LogRowProps): JSX.Element {
  let className = 'logv-row';
  if (line?.level) className += ` logv-l-${line.level}`;
  if (current) className += ' logv-current';
  if (selected) className += ' logv-selected';
  return (
    <div className={className} data-row={row} data-line={line?.n}>
      <span className="logv-num" onMouseDown={(event) => onSelect(event, row)} title="Select line (Shift: extend)">
        {line ? line.n + 1 : ''}
      </span>
      <span className="logv-text">{line ? <HighlightedText text={line.text} pattern={highlight} /> : <span className="logv-loading">…</span>}</span>
    </div>
  );
});
