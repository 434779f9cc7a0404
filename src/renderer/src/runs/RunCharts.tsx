import { useMemo, type JSX } from 'react';
import { ChartControls } from '../charts/ChartControls';
import type { ChartSeries } from '../charts/chart-data';
import { MetricChart } from '../charts/MetricChart';
import { useChartSettings } from '../charts/use-chart-settings';
import type { RunMetricsStore } from './run-metrics';

/**
 * One chart per metric a command run's script writes beyond the built-in names (f1, lr, …), with its
 * `val_` twin on the same chart when both exist.
 */
function extraCharts(store: RunMetricsStore): Array<{ title: string; series: ChartSeries[]; x: 'epoch'; log: false }> {
  const names = store.extraEpochMetrics;
  const charts: Array<{ title: string; series: ChartSeries[]; x: 'epoch'; log: false }> = [];
  for (const name of names) {
    if (name.startsWith('val_') && names.includes(name.slice(4))) continue; // drawn with its training twin
    const metrics = names.includes(`val_${name}`) ? [name, `val_${name}`] : [name];
    charts.push({ title: `${name} per epoch`, series: metrics.map((m) => store.epochChartSeries(m)), x: 'epoch', log: false });
  }
  return charts;
}

/**
 * Live charts of one run: per epoch (train and validation) and per batch, with shared controls. A
 * regression run shows validation R² and RMSE where a classification run shows accuracy.
 */
export function RunCharts({ store, version }: { store: RunMetricsStore; version: number }): JSX.Element {
  const { smoothing, setSmoothing, logScale, setLogScale } = useChartSettings('run');
  // New series objects whenever the store changed, so the charts pick up appended points.
  const series = useMemo(
    () => ({
      loss: [store.epochChartSeries('loss'), store.epochChartSeries('val_loss')],
      accuracy: [store.epochChartSeries('accuracy'), store.epochChartSeries('val_accuracy')],
      batchLoss: [store.batchChartSeries('loss')],
      batchAccuracy: [store.batchChartSeries('accuracy')],
      r2: [store.epochChartSeries('val_r2')],
      errors: [store.epochChartSeries('val_rmse'), store.epochChartSeries('val_mae')],
      extra: extraCharts(store),
    }),
    [store, version],
  );
  if (store.epochCount === 0 && store.batchCount === 0) {
    return <div className="panel empty">No metrics yet: they appear here as soon as the first batch is done.</div>;
  }
  // The charts a task needs: accuracy for classification; R², RMSE and MAE for regression. Loss charts may use log scale.
  const charts: Array<{ title: string; series: ChartSeries[]; x: 'epoch' | 'batch'; log: boolean }> =
    store.task === 'regression'
      ? [
          { title: 'Loss per epoch', series: series.loss, x: 'epoch', log: true },
          { title: 'Validation R² per epoch', series: series.r2, x: 'epoch', log: false },
          { title: 'Validation RMSE and MAE per epoch', series: series.errors, x: 'epoch', log: true },
          { title: 'Loss per batch', series: series.batchLoss, x: 'batch', log: true },
        ]
      : [
          { title: 'Loss per epoch', series: series.loss, x: 'epoch', log: true },
          { title: 'Accuracy per epoch', series: series.accuracy, x: 'epoch', log: false },
          { title: 'Loss per batch', series: series.batchLoss, x: 'batch', log: true },
          { title: 'Accuracy per batch', series: series.batchAccuracy, x: 'batch', log: false },
        ];
  charts.push(...series.extra);
  // A command run's script that reports epochs only gets no empty per-batch charts.
  const shown = store.batchCount === 0 && store.epochCount > 0 ? charts.filter((chart) => chart.x !== 'batch') : charts;
  return (
    <div className="run-charts" data-testid="run-charts" data-epochs={store.epochCount} data-batches={store.batchCount}>
      <ChartControls smoothing={smoothing} onSmoothingChange={setSmoothing} logScale={logScale} onLogScaleChange={setLogScale} />
      <div className="chart-grid">
        {shown.map((chart) => (
          <div className="panel" key={chart.title}>
            <MetricChart title={chart.title} series={chart.series} xLabel={chart.x} smoothing={smoothing} {...(chart.log ? { logScale } : {})} />
          </div>
        ))}
      </div>
    </div>
  );
}
