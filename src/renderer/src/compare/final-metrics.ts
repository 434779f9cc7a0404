// Final and best metrics of several runs side by side, and which run is best in each column.

export interface MetricColumn {
  /** the key in each run's values, e.g. "best_val_loss" */
  readonly key: string;
  readonly label: string;
  /** whether lower (loss) or higher (accuracy) is better */
  readonly better: 'min' | 'max';
}

export interface MetricsRun {
  readonly id: string;
  readonly label: string;
  /** missing or null: the run has no such figure (not tested yet, stopped early, …) */
  readonly values: Readonly<Record<string, number | null | undefined>>;
}

/** Columns for the figures expman records (metrics.jsonl epoch_end fields, test results). */
export const DEFAULT_METRIC_COLUMNS: readonly MetricColumn[] = [
  { key: 'best_val_loss', label: 'best val_loss', better: 'min' },
  { key: 'best_val_accuracy', label: 'best val_accuracy', better: 'max' },
  { key: 'loss', label: 'final loss', better: 'min' },
  { key: 'accuracy', label: 'final accuracy', better: 'max' },
  { key: 'test_accuracy', label: 'test accuracy', better: 'max' },
];

/** Columns for regression runs: R² higher is better, RMSE lower (validation at the best epoch, and test). */
export const REGRESSION_METRIC_COLUMNS: readonly MetricColumn[] = [
  { key: 'best_val_loss', label: 'best val_loss', better: 'min' },
  { key: 'best_val_r2', label: 'best val R²', better: 'max' },
  { key: 'best_val_rmse', label: 'best val RMSE', better: 'min' },
  { key: 'loss', label: 'final loss', better: 'min' },
  { key: 'test_r2', label: 'test R²', better: 'max' },
  { key: 'test_rmse', label: 'test RMSE', better: 'min' },
];

/** The columns for the tasks of the compared runs: each task's metrics, shared ones once. */
export function metricColumnsFor(tasks: ReadonlySet<'classification' | 'regression'>): readonly MetricColumn[] {
  if (!tasks.has('regression')) return DEFAULT_METRIC_COLUMNS;
  if (!tasks.has('classification')) return REGRESSION_METRIC_COLUMNS;
  const seen = new Set<string>();
  return [...DEFAULT_METRIC_COLUMNS, ...REGRESSION_METRIC_COLUMNS].filter((c) => !seen.has(c.key) && seen.add(c.key));
}

/**
 * For each column, the ids of the runs holding its best finite value (ties: all of them); a column
 * with fewer than two finite values has no best, since there is nothing to compare.
 */
export function bestRunsPerColumn(runs: readonly MetricsRun[], columns: readonly MetricColumn[]): Map<string, Set<string>> {
  const best = new Map<string, Set<string>>();
  for (const column of columns) {
    const finite = runs.filter((run) => Number.isFinite(run.values[column.key]));
    if (finite.length < 2) {
      best.set(column.key, new Set());
      continue;
    }
    const values = finite.map((run) => run.values[column.key]!);
    const target = column.better === 'min' ? Math.min(...values) : Math.max(...values);
    best.set(column.key, new Set(finite.filter((run) => run.values[column.key] === target).map((run) => run.id)));
  }
  return best;
}
