import type { JSX } from 'react';
import type { SyncResultDto } from '../../../shared/archive-sync';
import { formatBytes, formatCount } from '../datasets/format';
import { formatDuration } from './progress-estimate';
import { SyncProtectedRuns } from './SyncProtectedRuns';

/** A finished sync: what was transferred, how fast, how long. */
export function SyncSummary({ result }: { result: SyncResultDto }): JSX.Element {
  const { summary } = result;
  return (
    <div className="arc-result" aria-label="Sync summary">
      <p className="arc-notice" role="status">
        {result.direction === 'push' ? 'Pushed' : 'Pulled'}: <span className="arc-mono">{result.source}</span> → <span className="arc-mono">{result.destination}</span>
      </p>
      <SyncProtectedRuns runs={result.protectedRuns} />
      <dl className="arc-summary">
        <dt>Files transferred</dt>
        <dd>
          {formatCount(summary.filesTransferred)} <span className="arc-muted">of {formatCount(summary.files)}</span>
        </dd>
        {summary.filesDeleted > 0 && (
          <>
            <dt>Deleted</dt>
            <dd>{formatCount(summary.filesDeleted)}</dd>
          </>
        )}
        <dt>Bytes</dt>
        <dd>
          {formatBytes(summary.transferredSize)} <span className="arc-muted">of {formatBytes(summary.totalSize)} · sent {formatBytes(summary.bytesSent)}, received {formatBytes(summary.bytesReceived)}</span>
        </dd>
        <dt>Speed</dt>
        <dd>{formatBytes(summary.bytesPerSecond)}/s</dd>
        <dt>Time</dt>
        <dd>{formatDuration(result.seconds)}</dd>
      </dl>
    </div>
  );
}
