import type { ModelInfoDto } from '../../../shared/models';
import { useCallback, useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent } from 'react';
import type { ConfigIssueDto, ConfigSchemaDto, ConfigValue, FileConflictDetails, FileVersion, ValidateResult } from '../../../shared/config';
import { ConfigForm } from './ConfigForm';
import { issueText } from './diagnostics';
import { ResolvedConfigTable } from './ResolvedConfigTable';
import { SaveConflict, conflictOf } from './SaveConflict';
import { TomlEditor, type TomlEditorHandle } from './TomlEditor';
import './config.css';

export type ConfigEditorMode = 'text' | 'form';

export interface ConfigEditorProps {
  schema: ConfigSchemaDto;
  /** models:list, for the model picker of the form view. */
  models?: readonly ModelInfoDto[] | undefined;
  /** The saved config text (the file on disk; "" when it does not exist yet): the baseline for Revert. */
  text: string;
  /** The version of the file `text` was read from (null: no file yet), sent back with the first save. */
  version: FileVersion | null;
  /** Shown in the toolbar, e.g. the experiment name. */
  title?: string;
  /** Path of the file being edited, shown under the title. */
  file?: string;
  /** Validates a text and resolves the config it gives (config:validate). */
  validate: (text: string) => Promise<ValidateResult>;
  /** Sets (or with null removes) one key in a text and returns the new text (config:edit). */
  edit: (text: string, key: string, value: ConfigValue | null) => Promise<string>;
  /**
   * Saves the text over the file at version `base` and resolves to the new version (config:save);
   * rejects with the core's error when refused: a CONFLICT one when the file is no longer at `base`.
   */
  save: (text: string, base: FileVersion | null) => Promise<FileVersion>;
  /** Called after a successful save with the saved text. */
  onSaved?: (text: string) => void;
  /** Called when the text starts or stops differing from the saved one (e.g. to warn before leaving). */
  onDirtyChange?: (dirty: boolean) => void;
  /**
   * The file as it is on disk now, from the data-folder watcher (`config:changed`): another tab, an editor or
   * the CLI changed it. Without unsaved edits the editor takes it silently; with them it shows both versions
   * (the save-conflict view) at once, before the user even saves.
   */
  onDisk?: FileConflictDetails;
  initialMode?: ConfigEditorMode;
  /** Delay before an edit is validated, in milliseconds. */
  validateDelayMs?: number;
}

interface Validation {
  text: string;
  result: ValidateResult;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function where(issue: ConfigIssueDto): string {
  if (issue.source) return issue.line !== undefined ? `${issue.source}:${issue.line}` : issue.source;
  return issue.line !== undefined ? `Line ${issue.line}${issue.column !== undefined ? `:${issue.column}` : ''}` : 'This file';
}

/**
 * The experiment's config editor. One source of truth, the TOML text: the text view edits it directly,
 * the form view edits it one key at a time through `edit` (which keeps comments and layout), so
 * switching views never loses or rewrites anything. Every change is validated (debounced) by the core,
 * which also resolves the config with the origin of each value. Save stays disabled until the current
 * text is known to be valid.
 */
export function ConfigEditor({
  schema,
  models,
  text,
  version,
  title,
  file,
  validate,
  edit,
  save,
  onSaved,
  onDirtyChange,
  onDisk,
  initialMode = 'text',
  validateDelayMs = 150,
}: ConfigEditorProps): JSX.Element {
  const [saved, setSaved] = useState(text);
  const [draft, setDraft] = useState(text);
  const [mode, setMode] = useState<ConfigEditorMode>(initialMode);
  const [validation, setValidation] = useState<Validation | null>(null);
  const [validateError, setValidateError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [savedResolved, setSavedResolved] = useState<ValidateResult['resolved'] | null>(null);
  /** `save`: a save was refused; `disk`: the file changed on disk while I had unsaved edits. */
  const [conflict, setConflict] = useState<{ disk: FileConflictDetails; mine: string; reason: 'save' | 'disk' } | null>(null);
  // The version the saved text is at: the base of the next save.
  const baseRef = useRef(version);
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const editorRef = useRef<TomlEditorHandle>(null);

  // A new file from outside (another experiment, a reload) replaces everything.
  useEffect(() => {
    setSaved(text);
    setDraft(text);
    setSaveError(null);
    setSavedResolved(null);
    setConflict(null);
    baseRef.current = version;
  }, [text, version]);

  // The file changed on disk. Its version is compared, not its time: my own save comes back this way too.
  const savedRef = useRef(saved);
  savedRef.current = saved;
  useEffect(() => {
    if (!onDisk || onDisk.version?.sha256 === baseRef.current?.sha256) return;
    const mine = draftRef.current;
    if (mine === savedRef.current || mine === onDisk.text) {
      // No unsaved edits (or the same ones): continue from the disk's version.
      baseRef.current = onDisk.version;
      setSaved(onDisk.text);
      setDraft(onDisk.text);
      setSavedResolved(null);
      setConflict(null);
    } else {
      setConflict({ disk: onDisk, mine, reason: 'disk' });
    }
  }, [onDisk]);

  // Debounced validation; only the answer for the latest text counts. The callback is read through a
  // ref so a parent passing a new function on each render does not trigger another validation.
  const validateRef = useRef(validate);
  validateRef.current = validate;
  const sequence = useRef(0);
  useEffect(() => {
    const mine = ++sequence.current;
    const timer = setTimeout(() => {
      validateRef.current(draft).then(
        (result) => {
          if (sequence.current !== mine) return;
          setValidation({ text: draft, result });
          setValidateError(null);
          if (draft === saved) setSavedResolved(result.resolved);
        },
        (error: unknown) => {
          if (sequence.current === mine) setValidateError(errorMessage(error));
        },
      );
    }, validateDelayMs);
    return () => clearTimeout(timer);
  }, [draft, saved, validateDelayMs]);

  const result = validation?.result;
  const current = validation?.text === draft;
  const dirty = draft !== saved;
  const onDirtyChangeRef = useRef(onDirtyChange);
  onDirtyChangeRef.current = onDirtyChange;
  useEffect(() => onDirtyChangeRef.current?.(dirty), [dirty]);
  const canSave = dirty && current && result?.ok === true && !saving;
  const issues = result?.issues ?? [];
  const syntaxIssue = issues.find((issue) => issue.syntax);

  const changedKeys = useMemo(() => {
    if (!result || !savedResolved || !dirty) return undefined;
    const before = new Map(savedResolved.map((entry) => [entry.key, JSON.stringify(entry.value)]));
    return new Set(result.resolved.filter((entry) => before.get(entry.key) !== JSON.stringify(entry.value)).map((entry) => entry.key));
  }, [result, savedResolved, dirty]);

  const onFormEdit = useCallback(
    async (key: string, value: ConfigValue | null) => {
      const next = await edit(draftRef.current, key, value);
      setDraft(next);
    },
    [edit],
  );

  const saveOver = useCallback(
    async (text: string, base: FileVersion | null) => {
      setSaving(true);
      try {
        baseRef.current = await save(text, base);
        setSaved(text);
        setSaveError(null);
        setConflict(null);
        onSaved?.(text);
      } catch (error) {
        const disk = conflictOf(error);
        if (disk) setConflict({ disk, mine: text, reason: 'save' });
        else setSaveError(errorMessage(error));
      } finally {
        setSaving(false);
      }
    },
    [save, onSaved],
  );

  const onSave = useCallback(async () => {
    if (!canSave) return;
    await saveOver(draft, baseRef.current);
  }, [canSave, draft, saveOver]);

  // Continue from the file on disk: it becomes the saved text and the base, my edits are dropped.
  const onReloadFromDisk = (): void => {
    if (!conflict) return;
    baseRef.current = conflict.disk.version;
    setSaved(conflict.disk.text);
    setDraft(conflict.disk.text);
    setSavedResolved(null);
    setConflict(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      void onSave();
    }
  };

  const revealIssue = (issue: ConfigIssueDto): void => {
    if (issue.source || issue.line === undefined) return;
    setMode('text');
    // After the text view is shown again, so the editor can measure and scroll.
    requestAnimationFrame(() => editorRef.current?.revealPosition(issue.line!, issue.column));
  };

  let status: JSX.Element;
  if (validateError) status = <span className="cfg-status cfg-status--error">Cannot validate: {validateError}</span>;
  else if (!current || !result) status = <span className="cfg-status cfg-status--pending">Checking…</span>;
  else if (result.ok) status = <span className="cfg-status cfg-status--ok">✓ Valid</span>;
  else status = <span className="cfg-status cfg-status--error">{issues.length === 1 ? '1 problem' : `${issues.length} problems`}</span>;

  return (
    <div className="cfg-editor" onKeyDown={onKeyDown}>
      <header className="cfg-toolbar">
        <div className="cfg-title">
          <h2>
            {title ?? 'Config'}
            {dirty && (
              <span className="cfg-dirty" title="Unsaved changes" aria-label="Unsaved changes">
                ●
              </span>
            )}
          </h2>
          {file && (
            <span className="cfg-file cfg-mono" title={file}>
              {/* Left-to-right marks keep the path's leading "/" in place inside the rtl (end-visible) box. */}
              {`\u200E${file}\u200E`}
            </span>
          )}
        </div>
        <div className="cfg-mode" role="group" aria-label="View">
          <button type="button" aria-pressed={mode === 'text'} onClick={() => setMode('text')}>
            Text
          </button>
          <button type="button" aria-pressed={mode === 'form'} onClick={() => setMode('form')}>
            Form
          </button>
        </div>
        <div className="cfg-actions">
          {status}
          <button type="button" className="btn" disabled={!dirty || saving} onClick={() => setDraft(saved)}>
            Revert
          </button>
          <button type="button" className="btn primary" disabled={!canSave} onClick={() => void onSave()} title="Save (Ctrl+S)">
            {saving ? 'Saving…' : 'Save'}
          </button>
        </div>
      </header>
      {conflict && (
        <SaveConflict
          conflict={conflict.disk}
          // Changed on disk while editing: the diff and Overwrite follow what I keep typing.
          mine={conflict.reason === 'disk' ? draft : conflict.mine}
          reason={conflict.reason}
          busy={saving}
          onReload={onReloadFromDisk}
          onOverwrite={() => void saveOver(conflict.reason === 'disk' ? draftRef.current : conflict.mine, conflict.disk.version)}
        />
      )}
      {saveError && (
        <div className="cfg-banner cfg-banner--error" role="alert">
          <strong>Not saved.</strong> {saveError}
        </div>
      )}
      <div className="cfg-body">
        <section className="cfg-main" aria-label="Config file">
          {/* Both views stay mounted so the text editor keeps its cursor and undo history across toggles. */}
          <div className="cfg-pane" hidden={mode !== 'text'}>
            <TomlEditor ref={editorRef} value={draft} onChange={setDraft} issues={issues} />
          </div>
          <div className="cfg-pane cfg-pane--scroll" hidden={mode !== 'form'}>
            {result ? (
              <ConfigForm
                schema={schema}
                values={result.values}
                resolved={result.resolved}
                inherited={result.inherited}
                issues={issues}
                onEdit={onFormEdit}
                choices={result.choices}
                models={models}
                disabledReason={syntaxIssue ? `The text is not valid TOML (${where(syntaxIssue)}: ${syntaxIssue.message}). Fix it in the Text view to edit values here.` : undefined}
              />
            ) : (
              <p className="cfg-muted cfg-empty">Loading…</p>
            )}
          </div>
          {issues.length > 0 && (
            <ul className="cfg-issues" aria-label="Problems">
              {issues.map((issue, index) => (
                <li key={index}>
                  <button type="button" className="cfg-issue" onClick={() => revealIssue(issue)} disabled={Boolean(issue.source) || issue.line === undefined}>
                    <span className="cfg-issue-where cfg-mono">{where(issue)}</span>
                    <span className="cfg-issue-text">{issueText(issue)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
        <aside className="cfg-side" aria-label="Resolved config">
          <h3>
            Resolved config <span className="cfg-muted">what a run gets</span>
          </h3>
          {result ? <ResolvedConfigTable entries={result.resolved} changedKeys={changedKeys} /> : <p className="cfg-muted cfg-empty">Loading…</p>}
        </aside>
      </div>
    </div>
  );
}
