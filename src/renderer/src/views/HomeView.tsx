import { useMemo, useState, type JSX } from 'react';
import { headlineScore, testScoreText } from '../../../shared/run-events';
import type { RunSummary } from '../../../shared/runs';
import { newestFirst } from '../shell/run-labels';
import { navigate, routeHref } from '../state/route';
import { useWorkspace } from '../state/workspace';
import { StatusBadge } from '../shell/StatusBadge';
import { RunLiveness, runErrorTitle } from '../runs/RunLiveControls';

const num = (v: number | undefined, digits = 4): string => (v === undefined ? '–' : v.toFixed(digits));

/** All runs of the data folder in one table: status, progress, best metrics; pick two or more to compare. */
/**
 * Runs listed on the home page, newest first. Every run is a table row in the DOM here; an experiment's
 * runs table (virtualised) is where thousands of runs are looked at.
 */
export const HOME_RUNS = 200;

export function HomeView(): JSX.Element {
  const { experiments, experimentsError, info } = useWorkspace();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const runs = useMemo<RunSummary[]>(() => newestFirst((experiments ?? []).flatMap((e) => e.runs)), [experiments]);
  const shown = runs.length > HOME_RUNS ? runs.slice(0, HOME_RUNS) : runs;
  const key = (r: RunSummary): string => `${r.experiment}/${r.model}`;
  const toggle = (k: string): void =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(k)) next.delete(k);
      else next.add(k);
      return next;
    });
  const compare = (): void =>
    navigate({ view: 'compare', runs: runs.filter((r) => selected.has(key(r))).map((r) => ({ experiment: r.experiment, model: r.model })) });

  return (
    <section className="view" aria-label="Runs">
      <div className="view-head">
        <h1>Runs</h1>
        <span className="muted">{info ? info.dataDir : ''}</span>
        <span className="spacer" />
        <button type="button" className="btn" disabled={selected.size < 2} onClick={compare}>
          Compare {selected.size > 0 ? `(${selected.size})` : ''}
        </button>
      </div>
      {experimentsError && <div className="error-box">{experimentsError.message}</div>}
      {experiments && runs.length === 0 && (
        <div className="panel empty">
          No runs yet. Prepare a dataset under <a href={routeHref({ view: 'datasets' })}>Datasets</a>, then open an experiment (e.g.{' '}
          <a href={routeHref({ view: 'experiment', experiment: experiments[0]?.name ?? 'default' })}>{experiments[0]?.name ?? 'default'}</a>) and start a run.
        </div>
      )}
      {runs.length > 0 && (
        <div className="panel">
          <table className="data" data-testid="runs-table">
            <thead>
              <tr>
                <th aria-label="Select" />
                <th>Experiment</th>
                <th>Run</th>
                <th>Status</th>
                <th className="num">Epoch</th>
                <th className="num">Best epoch</th>
                <th className="num">Best val loss</th>
                <th className="num" title="accuracy (classification) or R² (regression) of the best epoch">Best val score</th>
                <th className="num" title="accuracy (classification) or R² (regression) of the best model on the test set, after Test">Test score</th>
                <th>Backend</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((run) => (
                <tr key={key(run)}>
                  <td>
                    <input type="checkbox" aria-label={`select ${key(run)}`} checked={selected.has(key(run))} onChange={() => toggle(key(run))} />
                  </td>
                  <td>
                    <a href={routeHref({ view: 'experiment', experiment: run.experiment })}>{run.experiment}</a>
                  </td>
                  <td>
                    <a href={routeHref({ view: 'run', experiment: run.experiment, model: run.model })}>{run.model}</a>
                  </td>
                  <td className="status" title={runErrorTitle(run.error)}>
                    <StatusBadge status={run.status} epoch={run.epoch} epochs={run.epochs} /> <RunLiveness run={run} small />
                  </td>
                  <td className="num">
                    {run.epoch}/{run.epochs}
                  </td>
                  <td className="num">{run.best?.epoch ?? '–'}</td>
                  <td className="num">{num(run.best?.val_loss)}</td>
                  <td className="num">{headlineScore(run.best)?.text ?? '–'}</td>
                  <td className="num">{testScoreText(run.testScore)}</td>
                  <td>{run.backend ?? ''}</td>
                  <td className="muted">{new Date(run.started).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length < runs.length && (
            <p className="muted" data-testid="runs-table-more">
              The newest {HOME_RUNS} of {runs.length.toLocaleString('en-US')} runs. Every run is in its experiment's runs table (sort, filter, group):{' '}
              {(experiments ?? [])
                .filter((e) => e.runs.length > 0)
                .map((e, i) => (
                  <span key={e.name}>
                    {i > 0 && ', '}
                    <a href={routeHref({ view: 'experiment', experiment: e.name })}>{e.name}</a> ({e.runs.length.toLocaleString('en-US')})
                  </span>
                ))}
              .
            </p>
          )}
        </div>
      )}
    </section>
  );
}
