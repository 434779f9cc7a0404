import type { JSX } from 'react';
import { formatBytes, formatCount } from '../datasets/format';
import { formatDuration } from './progress-estimate';
import type { TaskProgressView, TaskRunner } from './use-task';

function amount(value: number, unit: TaskProgressView['unit']): string {
  return unit === 'bytes' ? formatBytes(value) : `${formatCount(value)} ${unit}`;
}

/** A task's progress: bar, amount done of total, percent, speed and time left (once measurable). */
export function TaskProgressBar({ label, progress, cancelling }: { label: string; progress: TaskProgressView | null; cancelling: boolean }): JSX.Element {
  const fraction = progress?.fraction ?? null;
  const parts: string[] = [];
  if (progress) {
    parts.push(`${progress.phase.charAt(0).toUpperCase()}${progress.phase.slice(1)} — ${amount(progress.done, progress.unit)} of ${amount(progress.total, progress.unit)}`);
    if (fraction !== null) parts.push(`${Math.floor(fraction * 100)}%`);
    if (progress.rate !== null) parts.push(progress.unit === 'bytes' ? `${formatBytes(progress.rate)}/s` : `${formatCount(Math.round(progress.rate))} ${progress.unit}/s`);
    if (progress.etaSeconds !== null && progress.etaSeconds > 0) parts.push(`${formatDuration(progress.etaSeconds)} left`);
  }
  return (
    <div className="arc-progress" aria-live="polite">
      <div
        className={`arc-progress-track${fraction === null ? ' arc-indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
      >
        <div className="arc-progress-bar" style={{ width: fraction === null ? undefined : `${fraction * 100}%` }} />
      </div>
      <span className="arc-muted" data-testid="progress-text">
        {cancelling ? 'Cancelling…' : parts.length ? parts.join(' · ') : 'Starting…'}
      </span>
    </div>
  );
}

/** A task dialog's first action: Cancel while its task runs (once), Close otherwise. */
export function CancelOrClose({ busy, task, onClose }: { busy: boolean; task: Pick<TaskRunner, 'cancel' | 'cancelRequested'>; onClose: () => void }): JSX.Element {
  return busy ? (
    <button type="button" className="btn" onClick={task.cancel} disabled={task.cancelRequested}>
      Cancel
    </button>
  ) : (
    <button type="button" className="btn" onClick={onClose}>
      Close
    </button>
  );
}
