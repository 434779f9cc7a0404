import { useEffect, useMemo, useRef, useState, type JSX } from 'react';
import type { ConfigFileDto, ConfigValue } from '../../../shared/config';
import { useApi } from '../api/context';
import { ConfigEditor } from '../config/ConfigEditor';
import { RunsTable } from '../runs-table/RunsTable';
import { navigate } from '../state/route';
import { nameProblem } from '../../../shared/names';
import { useAsync } from '../state/use-async';
import { useWorkspace } from '../state/workspace';

/** Parses the launcher's overrides box: one `key=value` per line; blank lines and # comments ignored. */
export function parseOverrideLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** How long the runs table waits after runs appear, go or change status before it asks for its columns again. */
const TABLE_RELOAD_MS = 1000;

/**
 * Runs of this experiment in the runs table, with jobs waiting in the queue. Status, epoch and best come
 * from the workspace (live, folded from pushes); config and metric columns from runs:table, asked again
 * when the set of runs or a status changes (a run ends with its final metrics).
 */
export function ExperimentRuns({ experiment }: { experiment: string }): JSX.Element {
  const api = useApi();
  const { experiments, jobs } = useWorkspace();
  const runs = useMemo(() => experiments?.find((e) => e.name === experiment)?.runs ?? [], [experiments, experiment]);
  const table = useAsync(() => api.runsTable({ experiment }), [api, experiment]);
  const shape = useMemo(() => runs.map((r) => `${r.model}:${r.status}`).join('\n'), [runs]);
  const firstShape = useRef(shape);
  const { reload } = table;
  useEffect(() => {
    if (shape === firstShape.current) return;
    firstShape.current = shape;
    const timer = setTimeout(reload, TABLE_RELOAD_MS);
    return () => clearTimeout(timer);
  }, [shape, reload]);
  // A queued job's run folder exists (its config snapshot, status `queued`), so it is a row of `runs`;
  // only a job whose folder has not shown up yet gets a row of its own.
  const listed = useMemo(() => new Set(runs.map((r) => r.model)), [runs]);
  const queued = useMemo(() => jobs.jobs.filter((j) => j.run.experiment === experiment && j.state === 'queued' && !listed.has(j.run.model)), [jobs, experiment, listed]);
  const active = useMemo(() => new Set(jobs.jobs.filter((j) => j.run.experiment === experiment && (j.state === 'running' || j.state === 'queued')).map((j) => j.run.model)), [jobs, experiment]);
  if (runs.length === 0 && queued.length === 0) return <p className="muted">No runs yet.</p>;
  return (
    <>
      {table.error && <div className="error-box">Config and metric columns: {table.error.message}</div>}
      <RunsTable experiment={experiment} runs={runs} queued={queued} active={active} table={table.data} />
    </>
  );
}

/** An experiment: its config.toml in the editor (text or form), the run launcher and queue, its runs. */
export function ExperimentView({ experiment }: { experiment: string }): JSX.Element {
  const api = useApi();
  const { jobs } = useWorkspace();
  const schema = useAsync(() => api.configSchema({}), [api]);
  const file = useAsync(() => api.configRead({ experiment }), [api, experiment]);
  const models = useAsync(() => api.modelsList({}), [api]);
  const targets = useAsync(() => api.targetsList({}), [api]);
  /** Where the run executes: "" = this machine, else a target of targets.toml. */
  const [where, setWhere] = useState('');
  const [dirty, setDirty] = useState(false);
  /** The file as the data-folder watcher last saw it (another tab, an editor, the CLI, or this tab's save). */
  const [onDisk, setOnDisk] = useState<ConfigFileDto>();
  /** Whether config.toml exists now: this tab's save or another writer may have created it since it was read. */
  const [exists, setExists] = useState<boolean>();
  useEffect(
    () =>
      api.onConfigChanged((change) => {
        if (change.experiment !== experiment) return;
        setOnDisk(change.config);
        setExists(change.config.exists);
      }),
    [api, experiment],
  );
  const [overrides, setOverrides] = useState('');
  const [model, setModel] = useState('');
  const [starting, setStarting] = useState(false);
  const [launchError, setLaunchError] = useState<string>();
  const modelProblem = model.trim() ? nameProblem('run', model.trim()) : undefined;

  const start = (): void => {
    setStarting(true);
    setLaunchError(undefined);
    const target = targets.data?.find((t) => t.name === where);
    // The target goes into the run's config snapshot like any override (runtime.executor, runtime.target).
    const placement = target ? [`runtime.executor=${target.executor}`, `runtime.target=${target.name}`] : [];
    api
      .runsStart({ experiment, overrides: [...parseOverrideLines(overrides), ...placement], ...(model.trim() ? { model: model.trim() } : {}) })
      .then((job) => {
        setModel('');
        navigate({ view: 'run', experiment, model: job.run.model });
      })
      .catch((e: unknown) => setLaunchError(e instanceof Error ? e.message : String(e)))
      .finally(() => setStarting(false));
  };

  return (
    <section className="view" aria-label={`Experiment ${experiment}`}>
      <div className="view-head">
        <h1>{experiment}</h1>
        <span className="muted">experiments/{experiment}/config.toml</span>
      </div>
      {(schema.error ?? file.error) && <div className="error-box">{(schema.error ?? file.error)!.message}</div>}
      {schema.data && file.data && (
        <div className="experiment-config">
          <ConfigEditor
            key={`${experiment}:${file.data.text}`}
            schema={schema.data}
            models={models.data ?? undefined}
            text={file.data.text}
            version={file.data.version}
            title={(exists ?? file.data.exists) ? 'config.toml' : 'config.toml (new: saving creates it)'}
            file={file.data.file}
            onDisk={onDisk}
            validate={(text) => api.configValidate({ experiment, text, overrides: parseOverrideLines(overrides) })}
            edit={(text: string, key: string, value: ConfigValue | null) => api.configEdit({ text, key, value })}
            save={async (text, base) => (await api.configSave({ experiment, text, base })).version}
            onSaved={() => {
              setDirty(false);
              setExists(true);
            }}
            onDirtyChange={setDirty}
          />
        </div>
      )}
      <div className="panel launcher" data-testid="launcher">
        <h2>Start a run</h2>
        <div className="launcher-grid">
          <label>
            <span>Overrides (one <code>key=value</code> per line, like <code>--set</code>)</span>
            <textarea rows={3} spellCheck={false} placeholder={'training.epochs=50\nmodel.hidden_units=[32, 16]'} value={overrides} onChange={(e) => setOverrides(e.target.value)} aria-label="Overrides" />
          </label>
          <label>
            <span>Run name (optional)</span>
            <input
              type="text"
              placeholder="run-<date>-<time>"
              value={model}
              onChange={(e) => setModel(e.target.value)}
              aria-label="Run name"
              aria-invalid={modelProblem !== undefined}
              aria-describedby={modelProblem ? 'run-name-problem' : undefined}
            />
            {modelProblem && (
              <span className="error-inline" id="run-name-problem">
                {modelProblem}
              </span>
            )}
          </label>
          {targets.data && targets.data.length > 0 && (
            <label>
              <span>Where</span>
              <select value={where} onChange={(e) => setWhere(e.target.value)} aria-label="Where the run executes">
                <option value="">This machine</option>
                {targets.data.map((t) => (
                  <option key={t.name} value={t.name} title={t.description}>
                    {t.name} ({t.executor})
                  </option>
                ))}
              </select>
            </label>
          )}
          {targets.error && <span className="error-inline">{targets.error.message}</span>}
          <label>
            <span>Runs at a time</span>
            <select value={jobs.concurrency} onChange={(e) => void api.jobsSetConcurrency({ concurrency: Number(e.target.value) })} aria-label="Runs at a time">
              {[1, 2, 3, 4, 6, 8].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="launcher-actions">
          <button type="button" className="btn primary" disabled={starting || dirty || modelProblem !== undefined} onClick={start}>
            {starting ? 'Starting…' : 'Start run'}
          </button>
          {dirty && <span className="muted">Save the config first: runs train from the saved config.toml.</span>}
        </div>
        {launchError && (
          <div className="error-box" role="alert">
            {launchError}
          </div>
        )}
      </div>
      <div className="panel">
        <h2>Runs</h2>
        <ExperimentRuns experiment={experiment} />
      </div>
    </section>
  );
}
