import { useState, type JSX } from 'react';
import { useApi } from '../api/context';
import { navigate, routeHref } from '../state/route';
import { useAsync } from '../state/use-async';
import { label } from './sweep-analysis';
import { SweepView } from './SweepView';

const TEMPLATE = `method = "tpe"          # grid | random | tpe
metric = "val_accuracy"
goal = "maximize"
seed = 0
parallel = 2

[budget]
trials = 20

[set]
"training.epochs" = 30

[parameters]
"training.learning_rate" = { log_uniform = [0.0001, 0.1] }
"training.batch_size" = [16, 32, 64]

[pruner]
type = "median"
`;

/** The sweeps of the data folder and a launcher; with a sweep named in the route, that sweep. */
export function SweepsView({ experiment, name }: { experiment?: string; name?: string }): JSX.Element {
  if (experiment && name) return <SweepView key={`${experiment}/${name}`} experiment={experiment} name={name} />;
  return <SweepList />;
}

function SweepList(): JSX.Element {
  const api = useApi();
  const sweeps = useAsync(() => api.sweepsList({}), []);
  const [text, setText] = useState(TEMPLATE);
  const [sweepName, setSweepName] = useState('');
  const [experiment, setExperiment] = useState('default');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const start = (): void => {
    setBusy(true);
    setError(undefined);
    api.sweepsStart({ text, experiment, ...(sweepName ? { name: sweepName } : {}) }).then(
      (s) => navigate({ view: 'sweeps', experiment: s.experiment, name: s.name }),
      (e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
        setBusy(false);
      },
    );
  };
  return (
    <div className="view" data-testid="sweeps-view">
      <h1>Sweeps</h1>
      <section className="panel">
        {sweeps.data?.length ? (
          <table className="data" data-testid="sweeps-list">
            <thead>
              <tr>
                <th>Sweep</th>
                <th>Status</th>
                <th>Method</th>
                <th className="num">Trials</th>
                <th>Best</th>
              </tr>
            </thead>
            <tbody>
              {sweeps.data.map((s) => (
                <tr key={`${s.experiment}/${s.name}`}>
                  <td>
                    <a href={routeHref({ view: 'sweeps', experiment: s.experiment, name: s.name })}>
                      {s.experiment}/{s.name}
                    </a>
                  </td>
                  <td>
                    <span className={`badge ${s.status === 'running' ? 'running' : s.status === 'finished' ? 'finished' : s.status === 'failed' ? 'failed' : 'stopped'}`}>{s.status}</span>
                  </td>
                  <td>{s.method}</td>
                  <td className="num">
                    {s.trials}
                    {s.budget !== null ? `/${s.budget}` : ''}
                  </td>
                  <td>{s.best ? `${s.metric} ${label(s.best.value)}` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">{sweeps.loading ? 'Loading…' : 'No sweeps yet. Define one below, or run `expman sweep start FILE`.'}</p>
        )}
      </section>
      <section className="panel sweep-launcher">
        <h2>New sweep</h2>
        <div className="view-head">
          <label>
            Name <input value={sweepName} onChange={(e) => setSweepName(e.target.value)} placeholder="lr-search" aria-label="sweep name" />
          </label>
          <label>
            Experiment <input value={experiment} onChange={(e) => setExperiment(e.target.value)} aria-label="experiment" />
          </label>
          <span className="spacer" />
          <button type="button" className="primary" disabled={busy || !sweepName} onClick={start}>
            Start sweep
          </button>
        </div>
        <textarea className="sweep-definition" value={text} onChange={(e) => setText(e.target.value)} rows={18} spellCheck={false} aria-label="sweep definition" />
        {error && <div className="error-box" data-testid="sweep-error">{error}</div>}
      </section>
    </div>
  );
}
