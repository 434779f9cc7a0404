import type { JSX } from 'react';
import type { FileConflictDetails } from '../../../shared/config';
import { lineDiff } from './line-diff';

/** A CONFLICT error from a save (ApiError in the app, ExpmanError in tests: both carry code and details). */
export function conflictOf(error: unknown): FileConflictDetails | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, details } = error as { code?: unknown; details?: Partial<FileConflictDetails> };
  if (code !== 'CONFLICT' || !details || typeof details.text !== 'string' || typeof details.file !== 'string') return null;
  return { file: details.file, text: details.text, version: details.version ?? null };
}

export interface SaveConflictProps {
  conflict: FileConflictDetails;
  /** The text the user tried to save. */
  mine: string;
  /** Drop my edits and continue from the file as it is on disk now. */
  onReload: () => void;
  /** Save my text over the file on disk. */
  onOverwrite: () => void;
  busy?: boolean;
  /** `save`: my save was refused; `disk`: the watcher saw the file change while I had unsaved edits. */
  reason?: 'save' | 'disk';
}

/**
 * Shown when a save was refused because the file changed on disk since it was loaded: what changed
 * between the file on disk ("on disk") and my text ("mine"), line by line, and the two ways out.
 */
export function SaveConflict({ conflict, mine, onReload, onOverwrite, busy = false, reason = 'save' }: SaveConflictProps): JSX.Element {
  const lines = lineDiff(conflict.text, mine);
  const when = conflict.version ? new Date(conflict.version.mtimeMs).toLocaleString() : null;
  return (
    <div className="cfg-conflict" role="alertdialog" aria-label={reason === 'disk' ? 'Changed on disk' : 'Save conflict'}>
      <p>
        <strong>{reason === 'disk' ? 'The file changed on disk while you were editing it' : 'Not saved: the file changed on disk since you loaded it'}</strong>
        {when ? ` (modified ${when})` : ' (it was deleted)'}, by another tab, an editor or the CLI. Lines marked − are only on disk,
        lines marked + only in your version.
      </p>
      <pre className="cfg-diff cfg-mono" aria-label="Differences">
        {lines.map((line, index) => (
          <div key={index} className={`cfg-diff-line cfg-diff-line--${line.kind}`} data-kind={line.kind}>
            <span className="cfg-diff-mark" aria-hidden="true">
              {line.kind === 'removed' ? '−' : line.kind === 'added' ? '+' : ' '}
            </span>
            {line.text}
          </div>
        ))}
      </pre>
      <div className="cfg-conflict-actions">
        <button type="button" className="btn" onClick={onReload} disabled={busy}>
          Reload from disk (discard mine)
        </button>
        <button type="button" className="btn danger" onClick={onOverwrite} disabled={busy}>
          Overwrite with mine
        </button>
      </div>
    </div>
  );
}
