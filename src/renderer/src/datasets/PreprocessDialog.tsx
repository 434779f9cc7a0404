import { useEffect, useId, useRef, useState, type JSX } from 'react';
import { PREPROCESS_DEFAULTS, type DatasetProgress, type DatasetsClient, type PreprocessOutcome, type PreprocessRequest, type Task } from '../../../shared/datasets';
import { errorMessage, formatBytes, formatCount } from './format';
import './datasets.css';

export interface PreprocessSource {
  name: string;
  rows: number;
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

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface Form {
  source: string;
  split: string;
  separateSets: boolean;
  seed: string;
  name: string;
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
  if (!NAME.test(name) || name.includes('..')) errors.name = "Name: use letters, digits, '.', '_' and '-', starting with a letter or digit";
  else if (name === 'external') errors.name = '"external" is reserved for raw datasets; choose another name';
  if (!form.source) errors.source = 'Choose a raw dataset to split';
  if (Object.keys(errors).length) return { errors };
  const task = form.task === undefined || form.task === 'auto' ? {} : { task: form.task };
  return { request: { source: form.source, split, separateSets: form.separateSets, seed, name, ...task, force: form.force }, errors };
}

function describeProgress(p: DatasetProgress): string {
  const amount = p.unit === 'bytes' ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : `${formatCount(p.done)} of ${formatCount(p.total)} ${p.unit}`;
  return `${p.phase[0]!.toUpperCase()}${p.phase.slice(1)} — ${amount}`;
}

/** Split a raw dataset into a prepared one (the UI for `expman preprocess`), with progress and Cancel. */
export function PreprocessDialog({ sources, defaultSource, existing = [], preprocess, onDone, onClose }: PreprocessDialogProps): JSX.Element {
  const id = useId();
  const [form, setForm] = useState<Form>({
    source: defaultSource ?? sources[0]?.name ?? '',
    split: String(PREPROCESS_DEFAULTS.split),
    separateSets: true,
    seed: String(PREPROCESS_DEFAULTS.seed),
    name: PREPROCESS_DEFAULTS.name,
    task: 'auto',
    force: false,
  });
  const [running, setRunning] = useState<AbortController | null>(null);
  const [progress, setProgress] = useState<DatasetProgress | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  const { request, errors } = validatePreprocessForm(form);
  const rows = sources.find((s) => s.name === form.source)?.rows;
  const split = Number(form.split);
  const exists = existing.includes(form.name.trim());

  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !running) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [running, onClose]);

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

  const fraction = progress && progress.total > 0 ? Math.min(1, progress.done / progress.total) : null;
  const field = (name: keyof Errors): { 'aria-invalid': boolean; 'aria-describedby'?: string } =>
    errors[name] ? { 'aria-invalid': true, 'aria-describedby': `${id}-${name}-error` } : { 'aria-invalid': false };
  const fieldError = (name: keyof Errors): JSX.Element | null =>
    errors[name] ? (
      <span id={`${id}-${name}-error`} className="ds-field-error">
        {errors[name]}
      </span>
    ) : null;

  return (
    <div className="ds-overlay" onMouseDown={(e) => e.target === e.currentTarget && !running && onClose()}>
      <form
        className="ds-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <h2 id={`${id}-title`}>Preprocess a dataset</h2>
        <p className="ds-muted ds-dialog-lead">A stratified, seeded shuffle split of a raw CSV into a training and a test set, with an info.toml that describes them.</p>
        <fieldset disabled={running !== null} className="ds-fieldset">
          <div className="ds-field">
            <label htmlFor={`${id}-source`}>Raw dataset</label>
            <select id={`${id}-source`} ref={first} value={form.source} onChange={(e) => update({ source: e.target.value })} {...field('source')}>
              {sources.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}.csv ({formatCount(s.rows)} rows)
                </option>
              ))}
            </select>
            {fieldError('source')}
          </div>
          <div className="ds-field">
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
              <span className="ds-hint">
                {rows !== undefined && split > 0 && split < 1
                  ? `≈ ${formatCount(Math.round(rows * split))} training · ${formatCount(rows - Math.round(rows * split))} test rows`
                  : ' '}
              </span>
            )}
          </div>
          <label className="ds-check">
            <input type="checkbox" checked={form.separateSets} onChange={(e) => update({ separateSets: e.target.checked })} />
            <span>
              Separate sets <span className="ds-muted">— train.csv + test.csv; otherwise one data.csv with a “set” column</span>
            </span>
          </label>
          <div className="ds-field-row">
            <div className="ds-field">
              <label htmlFor={`${id}-seed`}>Seed</label>
              <input id={`${id}-seed`} type="text" inputMode="numeric" value={form.seed} onChange={(e) => update({ seed: e.target.value })} {...field('seed')} />
              {fieldError('seed')}
            </div>
            <div className="ds-field ds-grow">
              <label htmlFor={`${id}-name`}>Name</label>
              <input id={`${id}-name`} type="text" value={form.name} spellCheck={false} onChange={(e) => update({ name: e.target.value })} {...field('name')} />
              {fieldError('name') ?? <span className="ds-hint">{exists ? `datasets/${form.name.trim()}/ exists: identical content is kept; different content needs Replace` : `→ datasets/${form.name.trim()}/`}</span>}
            </div>
          </div>
          <div className="ds-field">
            <label htmlFor={`${id}-task`}>Task</label>
            <select id={`${id}-task`} value={form.task} onChange={(e) => update({ task: e.target.value as Form['task'] })}>
              <option value="auto">Detect from the label</option>
              <option value="classification">Classification</option>
              <option value="regression">Regression</option>
            </select>
            <span className="ds-hint">A numeric label with more than 20 distinct values is regression, anything else classification.</span>
          </div>
          <label className="ds-check">
            <input type="checkbox" checked={form.force} onChange={(e) => update({ force: e.target.checked })} />
            <span>
              Replace <span className="ds-muted">— overwrite a prepared dataset of the same name whose content differs</span>
            </span>
          </label>
        </fieldset>
        {running && (
          <div className="ds-progress" aria-live="polite">
            <div
              className={`ds-progress-track${fraction === null ? ' ds-indeterminate' : ''}`}
              role="progressbar"
              aria-label="Preprocess progress"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
            >
              <div className="ds-progress-bar" style={{ width: fraction === null ? undefined : `${fraction * 100}%` }} />
            </div>
            <span className="ds-muted">{progress ? describeProgress(progress) : 'Starting…'}</span>
          </div>
        )}
        {failure && (
          <p className="ds-error" role="alert">
            {failure}
          </p>
        )}
        {notice && (
          <p className="ds-notice" role="status">
            {notice}
          </p>
        )}
        <div className="ds-dialog-actions">
          {running ? (
            <button type="button" className="ds-btn" onClick={() => running.abort()}>
              Cancel
            </button>
          ) : (
            <button type="button" className="ds-btn" onClick={onClose}>
              Close
            </button>
          )}
          <button type="submit" className="ds-btn ds-btn-primary" disabled={!request || running !== null}>
            {running ? 'Preprocessing…' : 'Preprocess'}
          </button>
        </div>
      </form>
    </div>
  );
}
