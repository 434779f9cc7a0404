import type { JSX } from 'react';
import type { SyncProtectedRunDto } from '../../../shared/archive-sync';

/** The run folders that were live on the receiving side: sync neither wrote into nor deleted from them. */
export function SyncProtectedRuns({ runs }: { runs: readonly SyncProtectedRunDto[] }): JSX.Element | null {
  if (runs.length === 0) return null;
  return (
    <div className="arc-notice" role="note" aria-label="Protected runs">
      <p>
        {runs.length === 1 ? '1 run is' : `${runs.length} runs are`} live on the receiving side and left untouched (nothing in{' '}
        {runs.length === 1 ? 'it' : 'them'} is written or deleted):
      </p>
      <ul>
        {runs.map((run) => (
          <li key={run.path}>
            <span className="arc-mono">{run.path}/</span> <span className="arc-muted">— {run.reason}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
