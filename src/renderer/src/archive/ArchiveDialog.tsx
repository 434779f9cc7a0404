import { useState, type JSX } from 'react';
import { TaskMessages } from './TaskMessages';
import type { ArchiveFormat, ArchiveResultDto } from '../../../shared/archive-sync';
import { useApi } from '../api/context';
import { useWorkspace } from '../state/workspace';
import { ArchiveResult } from './ArchiveResult';
import { Modal } from './Modal';
import { CancelOrClose, TaskProgressBar } from './TaskProgressBar';
import { failureText, isCancelled } from './task-error';
import { useTask } from './use-task';

/** Quotes a shell word when it needs it (POSIX sh), so the command can be pasted as is. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `expman archive` command that makes the archive these options describe, on the machine holding `dataDir`. */
export function archiveCommand(dataDir: string, excludeCheckpoints: boolean, only: readonly string[], format: ArchiveFormat = 'gz'): string {
  const words = ['expman', 'archive', '--data', dataDir, ...(format === 'gz' ? [] : ['--format', format]), ...(excludeCheckpoints ? ['--exclude-checkpoints'] : []), ...only.flatMap((path) => ['--only', path])];
  return words.map(shellWord).join(' ');
}

/** The compressions offered, in the words the dialog uses. */
const FORMATS: ReadonlyArray<{ format: ArchiveFormat; label: string; note: string }> = [
  { format: 'gz', label: 'gzip (.tar.gz)', note: 'opens anywhere' },
  { format: 'zst', label: 'zstd (.tar.zst)', note: 'about 10× faster, same size; opening it needs zstd (tar -I zstd -xf)' },
];

/**
 * File → Archive Data…: the data folder as a .tar.gz or .tar.zst with a MANIFEST (the UI for `expman archive`). The
 * desktop app asks where to save it. A browser cannot: the archive would be written on the server, so
 * the dialog says so up front and gives the exact `expman archive` command for the chosen options.
 */
export function ArchiveDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const api = useApi();
  const { experiments, info } = useWorkspace();
  const task = useTask();
  const [format, setFormat] = useState<ArchiveFormat>('gz');
  const [excludeCheckpoints, setExcludeCheckpoints] = useState(false);
  const [someOnly, setSomeOnly] = useState(false);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [result, setResult] = useState<ArchiveResultDto | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const busy = task.running !== null;
  const names = (experiments ?? []).map((e) => e.name);
  const nothingChosen = someOnly && ![...chosen].some((name) => names.includes(name));
  const onServer = info?.transport === 'browser';
  const only = someOnly ? names.filter((name) => chosen.has(name)).map((name) => `experiments/${name}`) : [];
  const command = archiveCommand(info?.dataDir ?? '$DATA', excludeCheckpoints, only, format);

  const start = async (): Promise<void> => {
    if (busy || nothingChosen) return;
    setFailure(null);
    setNotice(null);
    setResult(null);
    try {
      setResult(await task.run('archive', (taskId) => api.archiveCreate({ taskId, format, excludeCheckpoints, only })));
    } catch (error) {
      if (!isCancelled(error)) setFailure(failureText(error));
      else if (task.wasCancelled()) setNotice('Cancelled — no archive file was left behind.');
      // CANCELLED without our Cancel: the user dismissed the save dialog, so there is nothing to say.
      else onClose();
    }
  };

  const toggle = (name: string, on: boolean): void => {
    setChosen((previous) => {
      const next = new Set(previous);
      if (on) next.add(name);
      else next.delete(name);
      return next;
    });
  };

  return (
    <Modal
      title="Archive the data folder"
      lead={
        onServer ? (
          <>
            <strong>Archiving runs on the server.</strong> This page is served by <code>expman ui</code> on the machine that holds the data folder, and
            the archive is written there, not downloaded: choose the options, then run the command below on that machine.
          </>
        ) : (
          <>
            A .tar.gz or .tar.zst of datasets, configs, runs, checkpoints and logs, with a MANIFEST (size and sha256 of every file) that <code>expman archive verify</code>{' '}
            checks.
          </>
        )
      }
      busy={busy}
      onClose={onClose}
      actions={
        <>
          <CancelOrClose busy={busy} task={task} onClose={onClose} />
          {onServer ? (
            <button type="button" className="btn primary" onClick={() => void navigator.clipboard?.writeText(command)} disabled={nothingChosen}>
              Copy command
            </button>
          ) : (
            <button type="button" className="btn primary" onClick={() => void start()} disabled={busy || nothingChosen}>
              {busy ? 'Archiving…' : result ? 'Archive again…' : 'Archive…'}
            </button>
          )}
        </>
      }
    >
      <fieldset className="arc-fieldset" disabled={busy}>
        <div role="radiogroup" aria-label="Compression">
          {FORMATS.map((f) => (
            <label key={f.format} className="arc-check">
              <input type="radio" name="archive-format" value={f.format} checked={format === f.format} onChange={() => setFormat(f.format)} />
              <span>
                {f.label} <span className="arc-muted">— {f.note}</span>
              </span>
            </label>
          ))}
        </div>
        <label className="arc-check">
          <input type="checkbox" checked={excludeCheckpoints} onChange={(e) => setExcludeCheckpoints(e.target.checked)} />
          <span>
            Exclude checkpoints <span className="arc-muted">— configs, logs and metrics only; much smaller</span>
          </span>
        </label>
        <label className="arc-check">
          <input type="checkbox" checked={someOnly} onChange={(e) => setSomeOnly(e.target.checked)} />
          <span>
            Only some experiments <span className="arc-muted">— otherwise the whole data folder</span>
          </span>
        </label>
        {someOnly && (
          <div className="arc-choices" role="group" aria-label="Experiments to archive">
            {names.length === 0 && <span className="arc-muted">No experiments in this data folder.</span>}
            {names.map((name) => (
              <label key={name} className="arc-check">
                <input type="checkbox" checked={chosen.has(name)} onChange={(e) => toggle(name, e.target.checked)} />
                <span className="arc-mono">experiments/{name}</span>
              </label>
            ))}
            {nothingChosen && names.length > 0 && <span className="arc-field-error">Choose at least one experiment.</span>}
          </div>
        )}
      </fieldset>
      {onServer && (
        <div className="arc-server" data-testid="archive-on-server">
          <p>Run this on the machine that holds the data folder:</p>
          <pre className="arc-mono arc-command">{command}</pre>
        </div>
      )}
      {busy && <TaskProgressBar label="Archive progress" progress={task.progress} cancelling={task.cancelRequested} />}
      <TaskMessages failure={failure} notice={notice} />
      {result && <ArchiveResult result={result} osIntegration={info?.osIntegration === true} />}
    </Modal>
  );
}
