import type { JSX } from 'react';
import type { ArchiveResultDto } from '../../../shared/archive-sync';
import { formatBytes, formatCount } from '../datasets/format';
import { formatDuration } from './progress-estimate';

/** What `archive:create` wrote: where, how much, how small, how long; and what was live or left out. */
export function ArchiveResult({ result, osIntegration }: { result: ArchiveResultDto; osIntegration: boolean }): JSX.Element {
  const ratio = result.archiveBytes > 0 ? result.bytes / result.archiveBytes : null;
  return (
    <div className="arc-result" aria-label="Archive summary">
      <p className="arc-notice" role="status">
        Archive written.
        {osIntegration && <> The desktop notification offers “Reveal in File Manager”.</>}
      </p>
      <dl className="arc-summary">
        <dt>File</dt>
        <dd className="arc-mono arc-path">{result.file}</dd>
        <dt>Files</dt>
        <dd>
          {formatCount(result.files)}
          {result.links > 0 && <span className="arc-muted"> + {formatCount(result.links)} links</span>}
        </dd>
        <dt>Size</dt>
        <dd>
          {formatBytes(result.archiveBytes)} <span className="arc-muted">from {formatBytes(result.bytes)}</span>
        </dd>
        <dt>Compression</dt>
        <dd>{ratio === null ? '—' : `${ratio.toFixed(2)}×`}</dd>
        <dt>Time</dt>
        <dd>{formatDuration(result.seconds)}</dd>
      </dl>
      {result.liveRuns.length > 0 && (
        <div className="arc-subsection">
          <h3>
            Live runs <span className="arc-muted">({result.liveRuns.length}) — training while archived; their completed checkpoints are in it</span>
          </h3>
          <ul className="arc-list">
            {result.liveRuns.map((run) => (
              <li key={run.path}>
                <span className="arc-mono">
                  {run.experiment}/{run.model}
                </span>{' '}
                <span className="arc-muted">
                  pid {run.pid} on {run.host}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {result.skipped.length > 0 && (
        <div className="arc-subsection">
          <h3>
            Skipped <span className="arc-muted">({result.skipped.length})</span>
          </h3>
          <ul className="arc-list">
            {result.skipped.map((entry) => (
              <li key={entry.path}>
                <span className="arc-mono">{entry.path}</span> <span className="arc-muted">— {entry.reason}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
