import { useMemo, type JSX } from 'react';
import { formatMetricValue } from '../charts/format-value';
import { bestRunsPerColumn, DEFAULT_METRIC_COLUMNS, type MetricColumn, type MetricsRun } from './final-metrics';
import './compare.css';

export interface FinalMetricsTableProps {
  readonly runs: readonly MetricsRun[];
  readonly columns?: readonly MetricColumn[];
}

/** One row per run, one column per metric; the best value of each column is highlighted. */
export function FinalMetricsTable({ runs, columns = DEFAULT_METRIC_COLUMNS }: FinalMetricsTableProps): JSX.Element {
  const best = useMemo(() => bestRunsPerColumn(runs, columns), [runs, columns]);
  return (
    <section className="cmp-metrics">
      <header className="cmp-header">
        <h3 className="cmp-title">Final metrics</h3>
      </header>
      <div className="cmp-scroll">
        <table className="cmp-table cmp-numeric">
          <thead>
            <tr>
              <th scope="col">run</th>
              {columns.map((column) => (
                <th scope="col" key={column.key} title={column.better === 'min' ? 'lower is better' : 'higher is better'}>
                  {column.label} {column.better === 'min' ? '↓' : '↑'}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <th scope="row" title={run.id}>
                  {run.label}
                </th>
                {columns.map((column) => {
                  const isBest = best.get(column.key)?.has(run.id) ?? false;
                  return (
                    <td key={column.key} className={isBest ? 'cmp-best' : undefined} title={isBest ? `best ${column.label}` : undefined}>
                      {formatMetricValue(run.values[column.key])}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
