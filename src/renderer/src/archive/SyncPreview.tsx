import type { JSX } from 'react';
import type { SyncResultDto } from '../../../shared/archive-sync';
import { formatBytes, formatCount } from '../datasets/format';
import { SYNC_GROUPS, countSyncGroups } from './sync-groups';
import { SyncProtectedRuns } from './SyncProtectedRuns';

/** Long previews are cut here: the counts above the list still cover every item. */
export const PREVIEW_ROWS = 500;

/** A dry run's itemized list (rsync --itemize-changes) with per-group counts and what would travel. */
export function SyncPreview({ result }: { result: SyncResultDto }): JSX.Element {
  const counts = countSyncGroups(result.items);
  const shown = result.items.slice(0, PREVIEW_ROWS);
  return (
    <div className="arc-result" aria-label="Dry-run preview">
      <p className="arc-muted arc-route">
        <span className="arc-mono">{result.source}</span> → <span className="arc-mono">{result.destination}</span>
      </p>
      <SyncProtectedRuns runs={result.protectedRuns} />
      <div className="arc-groups">
        {SYNC_GROUPS.map((group) => (
          <span key={group} className={`arc-chip arc-chip-${group}`} data-testid={`count-${group}`}>
            {group} <strong>{formatCount(counts[group])}</strong>
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
                    <span className={`arc-change arc-change-${item.change}`}>{item.change}</span>
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
