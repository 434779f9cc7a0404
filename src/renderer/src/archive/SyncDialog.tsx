import { useCallback, useEffect, useId, useState, type JSX } from 'react';
import { TaskMessages } from './TaskMessages';
import { syncDestinationSchema, syncTargetSchema } from '../../../shared/api';
import type { SyncDestination, SyncResultDto } from '../../../shared/archive-sync';
import { useApi } from '../api/context';
import { Modal } from './Modal';
import { SyncDestinationList } from './SyncDestinationList';
import { SyncPreview } from './SyncPreview';
import { SyncSummary } from './SyncSummary';
import { CancelOrClose, TaskProgressBar } from './TaskProgressBar';
import { failureText, isCancelled } from './task-error';
import { useTask } from './use-task';

type Direction = 'push' | 'pull';

interface Settings {
  name: string;
  target: string;
  excludeCheckpoints: boolean;
  delete: boolean;
  direction: Direction;
}

/** What a preview was made for: Sync runs only what was previewed. */
function runKey(s: Settings): string {
  return JSON.stringify([s.target.trim(), s.direction, s.delete, s.excludeCheckpoints]);
}

/** The same rule as the contract's schema, so a bad target is named before any call. */
function targetProblem(target: string): string | null {
  if (target.trim() === '') return null;
  return syncTargetSchema.safeParse(target.trim()).success ? null : 'Target: a folder or [user@]host:path, not starting with "-"';
}

/**
 * File → Sync Data…: push the data folder to, or pull it from, a folder or `[user@]host:path` with rsync
 * (the UI for `expman sync`). A dry run lists what would change; Sync then runs exactly that.
 */
export function SyncDialog({ onClose }: { onClose: () => void }): JSX.Element {
  const id = useId();
  const api = useApi();
  const task = useTask();
  const [destinations, setDestinations] = useState<SyncDestination[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [settings, setSettings] = useState<Settings>({ name: '', target: '', excludeCheckpoints: false, delete: false, direction: 'push' });
  const [preview, setPreview] = useState<{ key: string; result: SyncResultDto } | null>(null);
  const [done, setDone] = useState<SyncResultDto | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [mode, setMode] = useState<'preview' | 'sync'>('preview');
  const busy = task.running !== null;
  const target = settings.target.trim();
  const badTarget = targetProblem(settings.target);
  const canRun = target !== '' && badTarget === null && !busy;
  const previewed = preview !== null && preview.key === runKey(settings);

  const report = useCallback((error: unknown) => setFailure(failureText(error)), []);
  useEffect(() => {
    api.syncDestinations({}).then(setDestinations, (error: unknown) => {
      setDestinations([]);
      report(error);
    });
  }, [api, report]);

  const change = (patch: Partial<Settings>): void => {
    setSettings((s) => ({ ...s, ...patch }));
    setFailure(null);
    setNotice(null);
  };
  /** An edit by hand: the form no longer shows the saved destination (the direction is not saved). */
  const update = (patch: Partial<Settings>): void => {
    if (Object.keys(patch).some((key) => key !== 'direction')) setSelected(null);
    change(patch);
  };

  const select = (d: SyncDestination): void => {
    setSelected(d.name);
    change({ name: d.name, target: d.target, excludeCheckpoints: d.excludeCheckpoints, delete: d.delete });
  };

  const save = async (): Promise<void> => {
    const parsed = syncDestinationSchema.safeParse({ name: settings.name.trim(), target, excludeCheckpoints: settings.excludeCheckpoints, delete: settings.delete });
    if (!parsed.success) {
      setFailure(settings.name.trim() === '' ? 'Name the destination to save it.' : 'Enter a valid target to save the destination.');
      return;
    }
    try {
      setDestinations(await api.syncSaveDestination({ destination: parsed.data }));
      setSelected(parsed.data.name);
      setNotice(`Saved “${parsed.data.name}”.`);
      setFailure(null);
    } catch (error) {
      report(error);
    }
  };

  const remove = async (name: string): Promise<void> => {
    try {
      setDestinations(await api.syncRemoveDestination({ name }));
      if (selected === name) setSelected(null);
      setFailure(null);
      setNotice(`Removed “${name}”.`);
    } catch (error) {
      report(error);
    }
  };

  const run = async (dryRun: boolean): Promise<void> => {
    if (!canRun || (!dryRun && !previewed)) return;
    const key = runKey(settings);
    setFailure(null);
    setNotice(null);
    setDone(null);
    setMode(dryRun ? 'preview' : 'sync');
    if (dryRun) setPreview(null);
    try {
      const result = await task.run('sync', (taskId) =>
        api.syncRun({ taskId, target, direction: settings.direction, dryRun, delete: settings.delete, excludeCheckpoints: settings.excludeCheckpoints }),
      );
      if (dryRun) setPreview({ key, result });
      else {
        setDone(result);
        setPreview(null);
      }
    } catch (error) {
      if (isCancelled(error)) setNotice('Cancelled. rsync keeps partial files: run the sync again to finish it.');
      else report(error);
    }
  };

  const radio = (value: Direction, label: string, hint: string): JSX.Element => (
    <label className="arc-check">
      <input type="radio" name={`${id}-direction`} value={value} checked={settings.direction === value} onChange={() => update({ direction: value })} />
      <span>
        {label} <span className="arc-muted">— {hint}</span>
      </span>
    </label>
  );

  return (
    <Modal
      title="Sync the data folder"
      lead="rsync only sends what changed and resumes an interrupted transfer. Preview first: the dry run lists every change."
      busy={busy}
      onClose={onClose}
      wide
      actions={
        <>
          <CancelOrClose busy={busy} task={task} onClose={onClose} />
          <button type="button" className="btn" onClick={() => void run(true)} disabled={!canRun}>
            {busy && mode === 'preview' ? 'Previewing…' : 'Preview (dry run)'}
          </button>
          <button type="button" className="btn primary" onClick={() => void run(false)} disabled={!canRun || !previewed} title={previewed ? undefined : 'Preview these settings first'}>
            {busy && mode === 'sync' ? 'Syncing…' : 'Sync'}
          </button>
        </>
      }
    >
      <div className="arc-sync">
        <section className="arc-sync-saved" aria-labelledby={`${id}-saved`}>
          <h3 id={`${id}-saved`}>Saved destinations</h3>
          <SyncDestinationList destinations={destinations} selected={selected} disabled={busy} onSelect={select} onRemove={(name) => void remove(name)} />
          <button
            type="button"
            className="btn arc-save"
            onClick={() => void save()}
            disabled={busy || target === '' || badTarget !== null || settings.name.trim() === ''}
            title="Save the name, target and options in the form"
          >
            Save destination
          </button>
        </section>
        <fieldset className="arc-fieldset" disabled={busy}>
          <div className="arc-field-row">
            <div className="arc-field">
              <label htmlFor={`${id}-name`}>Name</label>
              <input id={`${id}-name`} type="text" value={settings.name} placeholder="lab-gpu" spellCheck={false} onChange={(e) => update({ name: e.target.value })} />
            </div>
            <div className="arc-field arc-grow">
              <label htmlFor={`${id}-target`}>Target</label>
              <input
                id={`${id}-target`}
                type="text"
                className="arc-mono"
                value={settings.target}
                placeholder="user@host:expman-data or /mnt/backup/data"
                spellCheck={false}
                aria-invalid={badTarget !== null}
                aria-describedby={`${id}-target-hint`}
                onChange={(e) => update({ target: e.target.value })}
              />
              <span id={`${id}-target-hint`} className={badTarget ? 'arc-field-error' : 'arc-hint'}>
                {badTarget ?? 'A local folder, or [user@]host:path over SSH'}
              </span>
            </div>
          </div>
          <div className="arc-options">
            <label className="arc-check">
              <input type="checkbox" checked={settings.excludeCheckpoints} onChange={(e) => update({ excludeCheckpoints: e.target.checked })} />
              <span>Exclude checkpoints</span>
            </label>
            <label className="arc-check">
              <input type="checkbox" checked={settings.delete} onChange={(e) => update({ delete: e.target.checked })} />
              <span>
                Delete <span className="arc-muted">— remove files the source no longer has</span>
              </span>
            </label>
          </div>
          <div className="arc-direction" role="radiogroup" aria-label="Direction">
            {radio('push', 'Push', 'this data folder → target')}
            {radio('pull', 'Pull', 'target → this data folder')}
          </div>
        </fieldset>
      </div>
      {busy && <TaskProgressBar label="Sync progress" progress={task.progress} cancelling={task.cancelRequested} />}
      <TaskMessages failure={failure} notice={notice} />
      {preview && <SyncPreview result={preview.result} />}
      {preview && !previewed && <p className="arc-muted">The settings changed since this preview: preview again before syncing.</p>}
      {done && <SyncSummary result={done} />}
    </Modal>
  );
}
