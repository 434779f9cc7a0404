import type { JSX } from 'react';
import type { JobState, RunStatus } from '../../../shared/runs';

export function StatusBadge({ status, epoch, epochs }: { status: RunStatus | JobState; epoch?: number; epochs?: number }): JSX.Element {
  const progress = status === 'running' && epoch !== undefined && epochs ? ` ${epoch}/${epochs}` : '';
  return (
    <span className={`badge ${status}`} data-status={status}>
      {status}
      {progress}
    </span>
  );
}
