import { useMemo, type JSX } from 'react';
import type { TestResultsDto } from '../../../shared/runs';
import type { ChartSeries } from '../charts/chart-data';
import { MetricChart } from '../charts/MetricChart';

const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy',
  macro_precision: 'Macro precision',
  macro_recall: 'Macro recall',
  macro_f1: 'Macro F1',
  weighted_precision: 'Weighted precision',
  weighted_recall: 'Weighted recall',
  weighted_f1: 'Weighted F1',
  mae: 'MAE',
  rmse: 'RMSE',
  r2: 'R²',
  test_rows: 'Test rows',
  best_epoch: 'Best epoch',
};

function MetricsPanel({ metrics }: { metrics: Record<string, number> }): JSX.Element {
  return (
    <div className="panel">
      <h2>Test metrics</h2>
      <table className="data">
        <tbody>
          {Object.entries(metrics).map(([name, value]) => (
            <tr key={name}>
              <th>{METRIC_LABELS[name] ?? name}</th>
              <td className="num">{Number.isInteger(value) ? value : value.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Points sorted by x (the chart's series are x-ordered), as a scatter series. */
function scatter(id: string, label: string, xs: readonly number[], ys: readonly number[]): ChartSeries {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  return { id, label, x: Float64Array.from(order, (i) => xs[i]!), y: Float64Array.from(order, (i) => ys[i]!), points: true };
}

/** Regression plots: predicted vs actual (with the y = x line a perfect model would sit on) and residuals vs predicted. */
function RegressionPlots({ actual, predicted }: { actual: number[]; predicted: number[] }): JSX.Element {
  const charts = useMemo(() => {
    const lo = Math.min(...actual, ...predicted);
    const hi = Math.max(...actual, ...predicted);
    const residual = actual.map((a, i) => a - predicted[i]!);
    const pLo = Math.min(...predicted);
    const pHi = Math.max(...predicted);
    return {
      fit: [scatter('test-rows', 'test rows', actual, predicted), { id: 'ideal', label: 'predicted = actual', x: [lo, hi], y: [lo, hi] }],
      residuals: [scatter('residuals', 'residual (actual − predicted)', predicted, residual), { id: 'zero', label: 'zero', x: [pLo, pHi], y: [0, 0] }],
    } satisfies Record<string, ChartSeries[]>;
  }, [actual, predicted]);
  return (
    <>
      <div className="panel" data-testid="predicted-vs-actual">
        <MetricChart title="Predicted vs actual" series={charts.fit} xLabel="actual" yLabel="predicted" height={280} lastValues={false} />
      </div>
      <div className="panel" data-testid="residuals">
        <MetricChart title="Residuals vs predicted" series={charts.residuals} xLabel="predicted" yLabel="residual" height={280} lastValues={false} />
      </div>
    </>
  );
}

/**
 * Test results of a run. Classification: summary metrics, per-class table, and the confusion matrix as a
 * heat map. Regression: MAE/RMSE/R², predicted-vs-actual and residual plots.
 */
export function RunResults({ results }: { results: TestResultsDto }): JSX.Element {
  if (results.task === 'regression') {
    return (
      <div className="results-grid" data-testid="run-results">
        <MetricsPanel metrics={results.metrics} />
        {results.predictions && <RegressionPlots actual={results.predictions.actual} predicted={results.predictions.predicted} />}
      </div>
    );
  }
  const max = Math.max(1, ...results.confusion.flat());
  return (
    <div className="results-grid" data-testid="run-results">
      <MetricsPanel metrics={results.metrics} />
      <div className="panel">
        <h2>Per class</h2>
        <table className="data">
          <thead>
            <tr>
              <th>Class</th>
              <th className="num">Precision</th>
              <th className="num">Recall</th>
              <th className="num">F1</th>
              <th className="num">Support</th>
            </tr>
          </thead>
          <tbody>
            {results.perClass.map((row) => (
              <tr key={row.class}>
                <td>{row.class}</td>
                <td className="num">{row.precision.toFixed(4)}</td>
                <td className="num">{row.recall.toFixed(4)}</td>
                <td className="num">{row.f1.toFixed(4)}</td>
                <td className="num">{row.support}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="panel">
        <h2>Confusion matrix</h2>
        <table className="confusion" aria-label="Confusion matrix (rows: actual, columns: predicted)">
          <thead>
            <tr>
              <th className="muted">actual ↓ · predicted →</th>
              {results.classes.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {results.confusion.map((row, i) => (
              <tr key={results.classes[i]}>
                <th>{results.classes[i]}</th>
                {row.map((count, j) => (
                  <td
                    key={j}
                    className={i === j ? 'diag' : count > 0 ? 'off' : ''}
                    style={{ '--heat': String(count / max) } as React.CSSProperties}
                  >
                    {count}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
