import { useEffect, useMemo, useState, type JSX } from 'react';
import type { SweepDetail, TrialRecord } from '../../../shared/sweeps';
import { useApi } from '../api/context';
import { StatusBadge } from '../shell/StatusBadge';
import { routeHref } from '../state/route';
import { useAsync } from '../state/use-async';
import { ParallelCoordinates } from './ParallelCoordinates';
import { ParamScatter } from './ParamScatter';
import { importance, inBrushes, label, metricAxis, parameterAxis, type Brushes } from './sweep-analysis';

/** One sweep: progress, parallel coordinates (brushable), a parameter-vs-metric scatter, importance, trials. */
export function SweepView({ experiment, name }: { experiment: string; name: string }): JSX.Element {
  const api = useApi();
  const loaded = useAsync(() => api.sweepsGet({ experiment, name }), [experiment, name]);
  const [error, setError] = useState<string>();
  // A live sweep follows the data folder's pushes: its controller's writes to the sweep folder arrive as
  // `sweeps:changed` carrying the sweep as `sweeps:get` would answer (no polling). The newest of the
  // last read and the last push is shown; a read again (after Stop/Resume, a reconnect) replaces the push.
  const [pushed, setPushed] = useState<SweepDetail>();
  useEffect(() => setPushed(undefined), [loaded.data]);
  useEffect(() => {
    setPushed(undefined);
    const offs = [
      api.onSweepsChanged(({ sweeps }) => {
        const mine = sweeps.find((d) => d.summary.experiment === experiment && d.summary.name === name);
        if (mine) setPushed(mine);
      }),
      api.onConnectionRestored(loaded.reload),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [api, experiment, name, loaded.reload]);
  const detail = { ...loaded, data: pushed ?? loaded.data };
  const act = (call: () => Promise<unknown>): void => {
    setError(undefined);
    call().then(detail.reload, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  };
  if (detail.error) return <div className="view"><div className="error-box">{detail.error.message}</div></div>;
  if (!detail.data) return <div className="view"><p className="muted">Loading…</p></div>;
  const d = detail.data;
  const s = d.summary;
  const ended = (s.counts.finished ?? 0) + (s.counts.pruned ?? 0) + (s.counts.failed ?? 0);
  return (
    <div className="view sweep-view" data-testid="sweep-view">
      <div className="view-head">
        <h1>
          Sweep {s.experiment}/{s.name}
        </h1>
        <span className={`badge ${s.status === 'running' ? 'running' : s.status === 'finished' ? 'finished' : s.status === 'failed' ? 'failed' : 'stopped'}`} data-testid="sweep-status">
          {s.status}
        </span>
        <span className="spacer" />
        {s.live ? (
          <button type="button" onClick={() => act(() => api.sweepsStop({ experiment, name }))}>
            Stop sweep
          </button>
        ) : (
          s.status !== 'finished' && (
            <button type="button" onClick={() => act(() => api.sweepsResume({ experiment, name }))}>
              Resume sweep
            </button>
          )
        )}
      </div>
      {error && <div className="error-box">{error}</div>}
      {d.state.error && <div className="error-box">{d.state.error.message}</div>}
      <div className="panel sweep-progress">
        <progress max={Math.max(1, (s.budget ?? s.trials) * (d.trials.length / Math.max(1, new Set(d.trials.map((t) => t.point)).size)))} value={ended} />
        <span data-testid="sweep-counts">
          {s.method} · {s.goal} {s.metric} · {s.trials} trials{s.budget !== null ? ` of ${s.budget} points` : ''} ·{' '}
          {Object.entries(s.counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none yet'}
          {d.state.reason ? ` · ${d.state.reason}` : ''}
          {s.best && (
            <span data-testid="sweep-best">
              {' '}· best {label(s.best.value)} (<a href={routeHref({ view: 'run', experiment, model: s.best.run })}>trial {s.best.trial}</a>)
            </span>
          )}
        </span>
      </div>
      <SweepPlots detail={d} />
    </div>
  );
}

function SweepPlots({ detail }: { detail: SweepDetail }): JSX.Element {
  const { parameters, trials, summary } = detail;
  const [brushes, setBrushes] = useState<Brushes>({});
  const [scatterKey, setScatterKey] = useState(parameters[0]?.key ?? '');
  const axes = useMemo(() => parameters.map((p) => parameterAxis(p, trials)), [parameters, trials]);
  const metric = useMemo(() => metricAxis(summary.metric, trials), [summary.metric, trials]);
  const ranking = useMemo(() => importance(parameters, trials), [parameters, trials]);
  const best = summary.best?.trial;
  const inside = (t: TrialRecord): boolean => inBrushes(t, axes, metric, brushes);
  const scatterAxis = axes.find((a) => a.key === scatterKey) ?? axes[0];
  const shown = trials.filter(inside);
  return (
    <>
      <section className="panel">
        <div className="view-head">
          <h2>Parallel coordinates</h2>
          <span className="muted">drag along an axis to filter; click it to clear</span>
          <span className="spacer" />
          {Object.keys(brushes).length > 0 && (
            <button type="button" onClick={() => setBrushes({})}>
              Clear filters ({shown.length} of {trials.length} shown)
            </button>
          )}
        </div>
        <ParallelCoordinates axes={axes} metric={metric} trials={trials} best={best} brushes={brushes} onBrush={setBrushes} goal={summary.goal} />
      </section>
      <div className="sweep-row">
        <section className="panel">
          <div className="view-head">
            <h2>{summary.metric} against</h2>
            <select value={scatterAxis?.key} onChange={(e) => setScatterKey(e.target.value)} aria-label="parameter">
              {parameters.map((p) => (
                <option key={p.key} value={p.key}>
                  {p.key}
                </option>
              ))}
            </select>
          </div>
          {scatterAxis && <ParamScatter axis={scatterAxis} metric={metric} trials={trials} best={best} highlight={inside} />}
        </section>
        <section className="panel" data-testid="sweep-importance">
          <h2>Parameter importance</h2>
          <table className="data">
            <thead>
              <tr>
                <th>Parameter</th>
                <th className="num" title="|Spearman rank correlation| with the metric; for a list of values, the correlation ratio η">Correlation</th>
                <th className="num" title="Share of the metric's variance a binned (piecewise-constant) model of this parameter alone explains, corrected for chance">Explained variance</th>
              </tr>
            </thead>
            <tbody>
              {ranking.map((r) => (
                <tr key={r.key}>
                  <td>{r.key}</td>
                  <td className="num">{r.correlation.toFixed(2)}</td>
                  <td className="num">
                    <span className="importance-bar" style={{ width: `${Math.round(r.explained * 60)}px` }} /> {(r.explained * 100).toFixed(0)} %
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {ranking[0] && ranking[0].n < 5 && <p className="muted">Few trials with a value yet: importance is rough.</p>}
        </section>
      </div>
      <section className="panel">
        <h2>Trials</h2>
        <table className="data" data-testid="sweep-trials">
          <thead>
            <tr>
              <th className="num">Trial</th>
              <th>Run</th>
              <th>Status</th>
              <th className="num">Epoch</th>
              <th className="num">{summary.metric}</th>
              {parameters.map((p) => (
                <th key={p.key}>{p.key}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {trials.map((t) => (
              <tr key={t.trial} className={`${t.trial === best ? 'best-trial' : ''} ${inside(t) ? '' : 'filtered-out'}`} data-best={t.trial === best || undefined}>
                <td className="num">{t.trial}</td>
                <td>
                  <a href={routeHref({ view: 'run', experiment: summary.experiment, model: t.run })}>{t.run}</a>
                </td>
                <td title={t.reason}>{t.status === 'pending' ? <span className="badge queued">pending</span> : <StatusBadge status={t.status} />}</td>
                <td className="num">{t.epoch ?? '–'}</td>
                <td className="num">{label(t.value)}</td>
                {parameters.map((p) => (
                  <td key={p.key}>{label(t.params[p.key])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
