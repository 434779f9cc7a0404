import { useEffect, useState, type JSX } from 'react';
import type { RunDetail } from '../../../shared/runs';
import { useApi } from '../api/context';
import { StatusBadge } from '../shell/StatusBadge';
import { navigate, routeHref } from '../state/route';
import { useAsync } from '../state/use-async';
import { useWorkspace } from '../state/workspace';
import { EarlyStopNotice } from './EarlyStopNotice';
import { KeyValueTree } from './KeyValueTree';
import { NoSuchRun } from './NoSuchRun';
import { RunCharts } from './RunCharts';
import { RunLog } from './RunLog';
import { RunResults } from './RunResults';
import { RunErrorBox, RunLiveness, StopRunButton } from './RunLiveControls';
import { useRunMetrics } from './use-run-metrics';

const TABS = [
  { id: 'charts', label: 'Charts' },
  { id: 'logs', label: 'Logs' },
  { id: 'config', label: 'Config' },
  { id: 'results', label: 'Results' },
] as const;

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function Stat({ label, value }: { label: string; value: string }): JSX.Element {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}

function ConfigPanel({ detail }: { detail: RunDetail }): JSX.Element {
  return (
    <div className="results-grid">
      <div className="panel">
        <h2>Configuration</h2>
        <dl className="kv" data-testid="run-config">
          {Object.entries(detail.config).map(([key, value]) => (
            <div key={key} style={{ display: 'contents' }}>
              <dt>{key}</dt>
              <dd>{JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      </div>
      <div className="panel">
        <h2>Provenance</h2>
        <KeyValueTree value={detail.provenance} label="Provenance" />
        <h2 style={{ marginTop: 16 }}>Checkpoints</h2>
        <p className="muted">
          {detail.checkpoints.length ? `epochs ${detail.checkpoints.join(', ')}` : 'none'} · best model: {detail.hasBestModel ? `saved (epoch ${detail.summary.best?.epoch ?? '?'})` : 'none yet'}
        </p>
      </div>
    </div>
  );
}

/** One run: live charts, its log, its saved config and provenance, test results; stop, resume, re-run, test. */
export function RunView({ experiment, model, tab = 'charts' }: { experiment: string; model: string; tab?: string }): JSX.Element {
  const api = useApi();
  const { jobs, experiments, info } = useWorkspace();
  const summary = experiments?.find((e) => e.name === experiment)?.runs.find((r) => r.model === model);
  // The detail (config, checkpoints, results) is read again when the run's status changes, not on every
  // epoch: live progress comes from the pushed summary and events.
  const detail = useAsync(() => api.runsGet({ experiment, model }), [api, experiment, model, summary?.status]);
  const metrics = useRunMetrics(experiment, model);
  const job = [...jobs.jobs].reverse().find((j) => j.run.experiment === experiment && j.run.model === model);
  const active = job && (job.state === 'queued' || job.state === 'running');
  /** A writer holds the run (a job of this app, the CLI, another window, another host): no resume, re-run or test now. */
  const live = Boolean(active) || summary?.live === 'here' || summary?.live === 'elsewhere';
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  useEffect(() => setActionError(undefined), [experiment, model]);

  const act = (name: string, fn: () => Promise<unknown>): void => {
    setBusy(name);
    setActionError(undefined);
    fn()
      .catch((e: unknown) => setActionError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(undefined));
  };
  const status = active ? job.state : (summary?.status ?? detail.data?.summary.status);
  const missing = !job && !summary && !detail.data && (detail.error as { code?: string } | undefined)?.code === 'RUN_MISSING';
  if (missing) return <NoSuchRun experiment={experiment} model={model} />;
  const latest = metrics.store.latestEpoch();
  // The job's error is the first to know (its exit); the run's status.json says the same, with stderr.
  const runError = status === 'failed' ? (summary?.error?.stderr_tail ? summary.error : (job?.error ?? summary?.error ?? detail.data?.summary.error)) : undefined;
  const best = summary?.best ?? detail.data?.summary.best ?? null;

  return (
    <section className="view" aria-label={`Run ${experiment}/${model}`}>
      <div className="view-head">
        <h1>
          <a href={routeHref({ view: 'experiment', experiment })}>{experiment}</a> / {model}
        </h1>
        {status && <StatusBadge status={status} epoch={latest?.epoch ?? summary?.epoch} epochs={summary?.epochs ?? job?.epochs} />}
        {summary?.live === 'here' && (
          <span className="muted" data-testid="run-live">
            {summary.executor?.executor === 'slurm' && summary.executor.job_id ? `Slurm job ${summary.executor.job_id}, ` : ''}running here (pid {summary.pid ?? '?'})
          </span>
        )}
        <span className="spacer" />
        {/* Stop works for any run live on this host (its lock names the pid), not only this app's jobs. */}
        {active || summary?.live === 'here' ? <StopRunButton run={{ experiment, model }} /> : summary && <RunLiveness run={summary} />}
        {!live && (status === 'stopped' || status === 'failed') && (
          <button type="button" className="btn" disabled={busy !== undefined} onClick={() => act('resume', () => api.runsResume({ experiment, model }))}>
            Resume
          </button>
        )}
        {!live && detail.data && (
          <button
            type="button"
            className="btn"
            disabled={busy !== undefined}
            title="Train a new run from this run's saved config"
            onClick={() => act('rerun', async () => {
              const started = await api.runsRerun({ experiment, model });
              navigate({ view: 'run', experiment, model: started.run.model });
            })}
          >
            Re-run
          </button>
        )}
        {!live && detail.data?.hasBestModel && (
          <button type="button" className="btn primary" disabled={busy !== undefined} onClick={() => act('test', async () => {
            await api.runsTest({ experiment, model });
            detail.reload();
            navigate({ view: 'run', experiment, model, tab: 'results' });
          })}>
            {busy === 'test' ? 'Testing…' : detail.data.results ? 'Test again' : 'Test'}
          </button>
        )}
        {info?.osIntegration && detail.data && (
          <button type="button" className="btn" onClick={() => act('reveal', () => api.shellReveal({ path: `experiments/${experiment}/models/${model}` }))}>
            Reveal
          </button>
        )}
      </div>
      {actionError && <div className="error-box" role="alert">{actionError}</div>}
      {metrics.store.earlyStop && <EarlyStopNotice stop={metrics.store.earlyStop} epochs={summary?.epochs} />}
      {runError && <RunErrorBox error={runError} />}
      <div className="stat-row">
        <Stat label="Epoch" value={`${latest?.epoch ?? summary?.epoch ?? 0} / ${summary?.epochs ?? latest?.epochs ?? job?.epochs ?? '?'}`} />
        <Stat label="Best epoch" value={best ? String(best.epoch) : '–'} />
        <Stat label="Best val loss" value={fmt(best?.val_loss)} />
        {/* The task shows in the epochs before the status file's best catches up (a live run's first epochs). */}
        {best?.val_r2 !== undefined || metrics.store.task === 'regression' ? (
          <>
            <Stat label="Best val R²" value={fmt(best?.val_r2)} />
            <Stat label="Best val RMSE" value={fmt(best?.val_rmse)} />
          </>
        ) : (
          <Stat label="Best val acc" value={fmt(best?.val_accuracy)} />
        )}
        <Stat label="Samples/s" value={typeof latest?.samples_per_s === 'number' ? Math.round(latest.samples_per_s).toLocaleString() : '–'} />
        <Stat label="Backend" value={summary?.backend ?? '–'} />
        {/* By the metric present: a command run's test writes its own metrics.csv (accuracy without per-class files). */}
        {detail.data?.results && detail.data.results.metrics['r2'] !== undefined && <Stat label="Test R²" value={fmt(detail.data.results.metrics['r2'])} />}
        {detail.data?.results && detail.data.results.metrics['r2'] === undefined && <Stat label="Test accuracy" value={fmt(detail.data.results.metrics['accuracy'])} />}
      </div>
      <nav className="tabs" aria-label="Run views">
        {TABS.map((t) => (
          <a key={t.id} href={routeHref({ view: 'run', experiment, model, tab: t.id })} aria-current={tab === t.id ? 'page' : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {metrics.error && <div className="error-box">{metrics.error.message}</div>}
      {tab === 'charts' && <RunCharts store={metrics.store} version={metrics.version} />}
      {tab === 'logs' && (detail.data ? <RunLog experiment={experiment} model={model} /> : <div className="panel empty">The log appears when the run starts.</div>)}
      {tab === 'config' && (detail.data ? <ConfigPanel detail={detail.data} /> : <div className="panel empty">{detail.error?.message ?? 'Loading…'}</div>)}
      {tab === 'results' &&
        (detail.data?.results ? (
          <RunResults results={detail.data.results} />
        ) : (
          <div className="panel empty">Not tested yet{detail.data?.hasBestModel ? ': press Test to evaluate the best model on the test set.' : '.'}</div>
        ))}
    </section>
  );
}
