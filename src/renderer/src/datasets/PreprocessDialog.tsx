import { useEffect, useId, useRef, useState, type JSX } from 'react';
import { PREPROCESS_DEFAULTS, type DatasetsClient, type PreprocessOutcome, type PreprocessRequest, type Task } from '../../../shared/datasets';
import { nameProblem } from '../../../shared/names';
import type { Progress } from '../../../shared/progress';
import { Modal } from '../archive/Modal';
import { TaskMessages } from '../archive/TaskMessages';
import { TaskProgressBar } from '../archive/TaskProgressBar';
import { errorMessage, formatCount } from './format';
import './datasets.css';

export interface PreprocessSource {
  name: string;
  rows: number;
  /** Column names of the raw CSV, in file order: the label column is one of them. */
  columns: string[];
}

export interface PreprocessDialogProps {
  /** Raw datasets (datasets/external/<name>.csv) that can be split. */
  sources: PreprocessSource[];
  defaultSource?: string;
  /** Names of the prepared datasets already there: a hint says when Replace is needed. */
  existing?: string[];
  preprocess: DatasetsClient['preprocess'];
  onDone: (outcome: PreprocessOutcome) => void;
  onClose: () => void;
}


interface Form {
  source: string;
  split: string;
  separateSets: boolean;
  seed: string;
  name: string;
  /** "" for the core's default (the last column). */
  label: string;
  /** "auto": detected from the label (see the README's Tasks). */
  task: 'auto' | Task;
  force: boolean;
}

type Errors = Partial<Record<'source' | 'split' | 'seed' | 'name', string>>;

/** The same rules as the core (validateSplit, checkName), so most mistakes never leave the dialog. */
export function validatePreprocessForm(form: Omit<Form, 'task'> & { task?: Form['task'] }): { request?: PreprocessRequest; errors: Errors } {
  const errors: Errors = {};
  const split = form.split.trim() === '' ? NaN : Number(form.split);
  if (!(split > 0 && split < 1)) errors.split = `Split must be a number between 0 and 1 (exclusive), got ${JSON.stringify(form.split)}`;
  const seed = form.seed.trim() === '' ? NaN : Number(form.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) errors.seed = `Seed must be a whole number from 0 to 4294967295, got ${JSON.stringify(form.seed)}`;
  const name = form.name.trim();
  const problem = nameProblem('dataset', name);
  if (problem) errors.name = problem;
  else if (name === 'external') errors.name = '"external" is reserved for raw datasets; choose another name';
  if (!form.source) errors.source = 'Choose a raw dataset to split';
  if (Object.keys(errors).length) return { errors };
  const task = form.task === undefined || form.task === 'auto' ? {} : { task: form.task };
  return { request: { source: form.source, split, separateSets: form.separateSets, seed, name, ...task, force: form.force, ...(form.label ? { label: form.label } : {}) }, errors };
}

/**
 * A dataset name that is not taken: the default name (what config.toml's data.dataset defaults to)
 * while it is free, else one named after the raw file, numbered if needed.
 */
export function freeDatasetName(source: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  if (!taken.has(PREPROCESS_DEFAULTS.name)) return PREPROCESS_DEFAULTS.name;
  const base = `${source || 'dataset'}-prepared`;
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

/** Split a raw dataset into a prepared one (the UI for `expman preprocess`), with progress and Cancel. */
export function PreprocessDialog({ sources, defaultSource, existing = [], preprocess, onDone, onClose }: PreprocessDialogProps): JSX.Element {
  const id = useId();
  const [form, setForm] = useState<Form>({
    source: defaultSource ?? sources[0]?.name ?? '',
    split: String(PREPROCESS_DEFAULTS.split),
    separateSets: true,
    seed: String(PREPROCESS_DEFAULTS.seed),
    name: freeDatasetName(defaultSource ?? sources[0]?.name ?? '', existing),
    label: '',
    task: 'auto',
    force: false,
  });
  const [running, setRunning] = useState<AbortController | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  const { request, errors } = validatePreprocessForm(form);
  const rows = sources.find((s) => s.name === form.source)?.rows;
  const columns = sources.find((s) => s.name === form.source)?.columns ?? [];
  const split = Number(form.split);
  const exists = existing.includes(form.name.trim());

  useEffect(() => first.current?.focus(), []);

  const update = (patch: Partial<Form>): void => {
    setForm((f) => ({ ...f, ...patch }));
    setFailure(null);
    setNotice(null);
  };

  const start = async (): Promise<void> => {
    if (!request || running) return;
    const controller = new AbortController();
    setRunning(controller);
    setProgress(null);
    setFailure(null);
    setNotice(null);
    try {
      const outcome = await preprocess(request, setProgress, controller.signal);
      onDone(outcome);
      if (outcome.unchanged) setNotice(`“${outcome.dataset.name}” is already up to date: identical content, nothing written.`);
    } catch (error) {
      if (controller.signal.aborted) setNotice('Cancelled — nothing was written.');
      else setFailure(errorMessage(error));
    } finally {
      setRunning(null);
    }
  };

  const field = (name: keyof Errors): { 'aria-invalid': boolean; 'aria-describedby'?: string } =>
    errors[name] ? { 'aria-invalid': true, 'aria-describedby': `${id}-${name}-error` } : { 'aria-invalid': false };
  const fieldError = (name: keyof Errors): JSX.Element | null =>
    errors[name] ? (
      <span id={`${id}-${name}-error`} className="arc-field-error">
        {errors[name]}
      </span>
    ) : null;

  return (
    <Modal
      title="Preprocess a dataset"
      lead="A stratified, seeded shuffle split of a raw CSV into a training and a test set, with an info.toml that describes them."
      busy={running !== null}
      onClose={onClose}
      onSubmit={() => void start()}
      actions={
        <>
          {running ? (
            <button type="button" className="btn" onClick={() => running.abort()}>
              Cancel
            </button>
          ) : (
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
          )}
          <button type="submit" className="btn primary" disabled={!request || running !== null}>
            {running ? 'Preprocessing…' : 'Preprocess'}
          </button>
        </>
      }
    >
        <fieldset disabled={running !== null} className="ds-fieldset ds-form">
          <div className="arc-field">
            <label htmlFor={`${id}-source`}>Raw dataset</label>
            <select id={`${id}-source`} ref={first} value={form.source} onChange={(e) => update({ source: e.target.value, label: '' })} {...field('source')}>
              {sources.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}.csv ({formatCount(s.rows)} rows)
                </option>
              ))}
            </select>
            {fieldError('source')}
          </div>
          <div className="arc-field">
            <label htmlFor={`${id}-label`}>Label column</label>
            <select id={`${id}-label`} value={form.label} onChange={(e) => update({ label: e.target.value })}>
              <option value="">{columns.length ? `last column (${columns[columns.length - 1]})` : 'last column'}</option>
              {columns.map((column) => (
                <option key={column} value={column}>
                  {column}
                </option>
              ))}
            </select>
            <span className="arc-hint">The class to predict; every other column is a feature.</span>
          </div>
          <div className="arc-field">
            <label htmlFor={`${id}-split`}>Training fraction</label>
            <div className="ds-split">
              <input
                type="range"
                min={0.05}
                max={0.95}
                step={0.05}
                value={split > 0 && split < 1 ? split : 0.8}
                onChange={(e) => update({ split: e.target.value })}
                aria-label="Training fraction slider"
              />
              <input id={`${id}-split`} type="text" inputMode="decimal" className="ds-input-narrow" value={form.split} onChange={(e) => update({ split: e.target.value })} {...field('split')} />
            </div>
            {fieldError('split') ?? (
              <span className="arc-hint">
                {rows !== undefined && split > 0 && split < 1
                  ? `≈ ${formatCount(Math.round(rows * split))} training · ${formatCount(rows - Math.round(rows * split))} test rows`
                  : ' '}
              </span>
            )}
          </div>
          <label className="arc-check">
            <input type="checkbox" checked={form.separateSets} onChange={(e) => update({ separateSets: e.target.checked })} />
            <span>
              Separate sets <span className="ds-muted">— train.csv + test.csv; otherwise one data.csv with a “set” column</span>
            </span>
          </label>
          <div className="arc-field-row">
            <div className="arc-field">
              <label htmlFor={`${id}-seed`}>Seed</label>
              <input id={`${id}-seed`} type="text" inputMode="numeric" value={form.seed} onChange={(e) => update({ seed: e.target.value })} {...field('seed')} />
              {fieldError('seed')}
            </div>
            <div className="arc-field ds-grow">
              <label htmlFor={`${id}-name`}>Name</label>
              <input id={`${id}-name`} type="text" value={form.name} spellCheck={false} onChange={(e) => update({ name: e.target.value })} {...field('name')} />
              {fieldError('name') ?? <span className="arc-hint">{exists ? `datasets/${form.name.trim()}/ exists: identical content is kept; different content needs Replace` : `→ datasets/${form.name.trim()}/`}</span>}
            </div>
          </div>
          <div className="arc-field">
            <label htmlFor={`${id}-task`}>Task</label>
            <select id={`${id}-task`} value={form.task} onChange={(e) => update({ task: e.target.value as Form['task'] })}>
              <option value="auto">Detect from the label</option>
              <option value="classification">Classification</option>
              <option value="regression">Regression</option>
            </select>
            <span className="arc-hint">A numeric label with more than 20 distinct values is regression, anything else classification.</span>
          </div>
          <label className="arc-check">
            <input type="checkbox" checked={form.force} onChange={(e) => update({ force: e.target.checked })} />
            <span>
              Replace <span className="ds-muted">— overwrite a prepared dataset of the same name whose content differs</span>
            </span>
          </label>
        </fieldset>
        {running && (
          <TaskProgressBar
            label="Preprocess progress"
            progress={progress && { ...progress, fraction: progress.total > 0 ? Math.min(1, progress.done / progress.total) : null, rate: null, etaSeconds: null }}
            cancelling={running.signal.aborted}
          />
        )}
        <TaskMessages failure={failure} notice={notice} />
    </Modal>
  );
}
