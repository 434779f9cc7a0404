import type { JSX } from 'react';
import type { SyncItemDto, SyncResultDto } from '../../../shared/archive-sync';
import { formatBytes, formatCount } from '../datasets/format';
import { countSyncGroups } from './sync-groups';
import { SyncProtectedRuns } from './SyncProtectedRuns';

/**
 * rsync's itemize codes say which side received a file: `<` sent to a remote host, `>` received by the
 * local side. To a local folder rsync is the receiver too, so a push there itemizes every file as
 * `>` ("receive"). What the user asked for is the direction: a push sends, a pull receives.
 */
function transferWord(direction: SyncResultDto['direction']): 'send' | 'receive' {
  return direction === 'push' ? 'send' : 'receive';
}

function changeLabel(change: SyncItemDto['change'], direction: SyncResultDto['direction']): string {
  return change === 'send' || change === 'receive' ? transferWord(direction) : change;
}

/** Long previews are cut here: the counts above the list still cover every item. */
export const PREVIEW_ROWS = 500;

/** A dry run's itemized list (rsync --itemize-changes) with per-group counts and what would travel. */
export function SyncPreview({ result }: { result: SyncResultDto }): JSX.Element {
  const counts = countSyncGroups(result.items);
  const transfer = transferWord(result.direction);
  const chips = [
    { group: transfer, count: counts.send + counts.receive },
    { group: 'create', count: counts.create },
    { group: 'delete', count: counts.delete },
  ];
  const shown = result.items.slice(0, PREVIEW_ROWS);
  return (
    <div className="arc-result" aria-label="Dry-run preview">
      <p className="arc-muted arc-route">
        <span className="arc-mono">{result.source}</span> → <span className="arc-mono">{result.destination}</span>
      </p>
      <SyncProtectedRuns runs={result.protectedRuns} />
      <div className="arc-groups">
        {chips.map(({ group, count }) => (
          <span key={group} className={`arc-chip arc-chip-${group}`} data-testid={`count-${group}`}>
            {group} <strong>{formatCount(count)}</strong>
          </span>
        ))}
        {counts.other > 0 && (
          <span className="arc-chip" data-testid="count-other">
            other <strong>{formatCount(counts.other)}</strong>
          </span>
        )}
      </div>
      <p className="arc-muted" data-testid="preview-summary">
        {result.items.length === 0
          ? 'Nothing would change: both sides are already in sync.'
          : `${formatCount(result.summary.filesTransferred)} of ${formatCount(result.summary.files)} files would be transferred (${formatBytes(result.summary.transferredSize)} of ${formatBytes(result.summary.totalSize)})${result.summary.filesDeleted > 0 ? `, ${formatCount(result.summary.filesDeleted)} deleted` : ''}.`}
      </p>
      {result.items.length > 0 && (
        <div className="arc-table-wrap">
          <table className="arc-table" aria-label="Changes">
            <thead>
              <tr>
                <th>Change</th>
                <th>Type</th>
                <th>Path</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((item, i) => (
                <tr key={`${i}:${item.path}`}>
                  <td>
                    <span className={`arc-change arc-change-${item.change}`}>{changeLabel(item.change, result.direction)}</span>
                  </td>
                  <td className="arc-muted">{item.type}</td>
                  <td className="arc-mono arc-path">{item.path}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.items.length > shown.length && <p className="arc-muted">… and {formatCount(result.items.length - shown.length)} more</p>}
        </div>
      )}
    </div>
  );
}
