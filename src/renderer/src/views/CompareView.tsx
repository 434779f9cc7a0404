import { useMemo, useState, type JSX } from 'react';
import type { RunDetail, RunRef } from '../../../shared/runs';
import { useApi } from '../api/context';
import { ChartControls } from '../charts/ChartControls';
import type { ChartSeries } from '../charts/chart-data';
import { meanStdBands } from '../charts/group-bands';
import { MetricChart } from '../charts/MetricChart';
import { useChartSettings } from '../charts/use-chart-settings';
import { ConfigDiffTable } from '../compare/ConfigDiffTable';
import { FinalMetricsTable } from '../compare/FinalMetricsTable';
import { metricColumnsFor } from '../compare/final-metrics';
import type { EpochMetric } from '../runs/run-metrics';
import { useManyRunMetrics } from '../runs/use-many-run-metrics';
import { navigate } from '../state/route';
import { useAsync } from '../state/use-async';
import { useWorkspace } from '../state/workspace';

const keyOf = (r: RunRef): string => `${r.experiment}/${r.model}`;
type Task = 'classification' | 'regression';
/** Charts per task (`for`); loss charts are shared. */
const ALL_CHARTS: Array<{ metric: EpochMetric; title: string; log: boolean; for?: Task }> = [
  { metric: 'val_loss', title: 'Validation loss', log: true },
  { metric: 'val_accuracy', title: 'Validation accuracy', log: false, for: 'classification' },
  { metric: 'val_r2', title: 'Validation R²', log: false, for: 'regression' },
  { metric: 'val_rmse', title: 'Validation RMSE', log: true, for: 'regression' },
  { metric: 'loss', title: 'Training loss', log: true },
  { metric: 'accuracy', title: 'Training accuracy', log: false, for: 'classification' },
];

/** Several runs side by side: overlaid charts (one bucket grid), the config keys that differ, final metrics. */
export function CompareView({ runs }: { runs: RunRef[] }): JSX.Element {
  const api = useApi();
  const { experiments } = useWorkspace();
  const all = useMemo(() => (experiments ?? []).flatMap((e) => e.runs), [experiments]);
  const ids = runs.map(keyOf).join(',');
  const details = useAsync(() => Promise.all(runs.map((r) => api.runsGet(r))), [api, ids]);
  const { stores, version } = useManyRunMetrics(runs);
  const { smoothing, setSmoothing, logScale, setLogScale } = useChartSettings('compare');

  const toggle = (r: RunRef): void => {
    const next = runs.some((x) => keyOf(x) === keyOf(r)) ? runs.filter((x) => keyOf(x) !== keyOf(r)) : [...runs, r];
    navigate({ view: 'compare', runs: next });
  };

  // The compared runs' tasks decide which metrics are charted and ranked (runs without epochs yet count as classification).
  const tasks = useMemo(() => new Set<Task>(runs.map((r) => stores.get(keyOf(r))?.task ?? 'classification')), [stores, version, ids]);
  const taskKey = [...tasks].sort().join(',');
  const CHARTS = useMemo(() => ALL_CHARTS.filter((c) => !c.for || tasks.has(c.for)), [taskKey]);
  const columns = useMemo(() => metricColumnsFor(tasks), [taskKey]);

  // Group the charts by a config key the runs differ in: one mean line per value, ± std shaded.
  const [groupKey, setGroupKey] = useState('');
  const groupKeys = useMemo(() => differingKeys((details.data ?? []).map((d) => d.config)), [details.data]);
  const groupOf = useMemo(() => {
    const byRun = new Map<string, string>();
    for (const d of details.data ?? []) byRun.set(`${d.summary.experiment}/${d.summary.model}`, JSON.stringify(d.config[groupKey] ?? null));
    return byRun;
  }, [details.data, groupKey]);
  const grouping = groupKey !== '' && groupKeys.includes(groupKey);

  const chartSeries = useMemo(() => {
    const out = new Map<EpochMetric, ChartSeries[]>();
    for (const { metric } of CHARTS) {
      const perRun = runs.flatMap((r) => {
        const s = stores.get(keyOf(r));
        return s ? [{ run: keyOf(r), series: s.epochChartSeries(metric, `${keyOf(r)}:`, keyOf(r)) }] : [];
      });
      if (!grouping) {
        out.set(metric, perRun.map((p) => p.series));
        continue;
      }
      const groups = new Map<string, ChartSeries[]>();
      for (const p of perRun) {
        const value = groupOf.get(p.run) ?? 'null';
        groups.set(value, [...(groups.get(value) ?? []), p.series]);
      }
      out.set(metric, meanStdBands([...groups].map(([value, members]) => ({ id: `${metric}:${value}`, label: `${groupKey}=${value}`, members }))));
    }
    return out;
  }, [stores, version, ids, CHARTS, grouping, groupOf, groupKey]);

  const metricRows = useMemo(() => {
    const byKey = new Map<string, RunDetail>((details.data ?? []).map((d) => [`${d.summary.experiment}/${d.summary.model}`, d]));
    return runs.map((r) => {
      const d = byKey.get(keyOf(r));
      const last = stores.get(keyOf(r))?.latestEpoch();
      return {
        id: keyOf(r),
        label: keyOf(r),
        values: {
          best_val_loss: d?.summary.best?.val_loss ?? null,
          best_val_accuracy: d?.summary.best?.val_accuracy ?? null,
          loss: last?.loss ?? null,
          accuracy: last?.accuracy ?? null,
          test_accuracy: d?.results?.metrics['accuracy'] ?? null,
          best_val_r2: d?.summary.best?.val_r2 ?? null,
          best_val_rmse: d?.summary.best?.val_rmse ?? null,
          test_r2: d?.results?.metrics['r2'] ?? null,
          test_rmse: d?.results?.metrics['rmse'] ?? null,
        },
      };
    });
  }, [details.data, stores, version, ids]);

  return (
    <section className="view" aria-label="Compare runs">
      <div className="view-head">
        <h1>Compare</h1>
        <span className="muted">{runs.length < 2 ? 'pick two or more runs' : `${runs.length} runs`}</span>
      </div>
      <div className="panel compare-picker" data-testid="compare-picker">
        {all.length === 0 && <span className="muted">No runs in this data folder yet.</span>}
        {all.map((r) => (
          <label key={keyOf(r)} className="compare-pick">
            <input type="checkbox" checked={runs.some((x) => keyOf(x) === keyOf(r))} onChange={() => toggle(r)} />
            <span>{keyOf(r)}</span>
          </label>
        ))}
      </div>
      {details.error && <div className="error-box">{details.error.message}</div>}
      {runs.length > 0 && (
        <>
          <div className="compare-chart-tools">
            <ChartControls smoothing={smoothing} onSmoothingChange={setSmoothing} logScale={logScale} onLogScaleChange={setLogScale} />
            <label>
              <span>Group runs by </span>
              <select aria-label="Group runs by" value={grouping ? groupKey : ''} onChange={(e) => setGroupKey(e.target.value)} disabled={groupKeys.length === 0}>
                <option value="">none (a line per run)</option>
                {groupKeys.map((key) => (
                  <option key={key} value={key}>
                    {key}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="chart-grid">
            {CHARTS.map((c) => (
              <div className="panel" key={c.metric}>
                <MetricChart title={c.title} series={chartSeries.get(c.metric) ?? []} xLabel="epoch" smoothing={smoothing} logScale={logScale && c.log} />
              </div>
            ))}
          </div>
          <div className="panel">
            <FinalMetricsTable runs={metricRows} columns={columns} />
          </div>
          <div className="panel" data-testid="config-diff">
            <h2>Configuration differences</h2>
            {details.data ? (
              <ConfigDiffTable runs={details.data.map((d) => ({ id: `${d.summary.experiment}/${d.summary.model}`, label: `${d.summary.experiment}/${d.summary.model}`, config: d.config }))} />
            ) : (
              <span className="muted">Loading…</span>
            )}
          </div>
        </>
      )}
    </section>
  );
}

/** Config keys whose values are not the same in every run (what grouping can split on). */
function differingKeys(configs: ReadonlyArray<Record<string, unknown>>): string[] {
  const keys = new Set(configs.flatMap((c) => Object.keys(c)));
  return [...keys].filter((key) => new Set(configs.map((c) => JSON.stringify(c[key] ?? null))).size > 1).sort();
}
