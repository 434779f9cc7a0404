/**
 * The runs table of one experiment: every run with its whole configuration and a summary of every metric
 * it logged, in columns, so a table of 10,000 runs crosses the API as a few arrays rather than 10,000
 * objects with the same keys. Pure, serialisable types and helpers (no Node, no DOM).
 */
import type { RunLiveness, RunStatus, TestScore } from './runs.js';

/** One table cell: config values as written (arrays and inline tables as their JSON text), metrics as numbers. */
export type Cell = number | string | boolean | null;

/** What is kept of a metric's epoch series: enough for best, last and smoothed columns. */
export const METRIC_STATS = ['last', 'min', 'max', 'smoothed'] as const;
export type MetricStat = (typeof METRIC_STATS)[number];

/**
 * The smoothing weight of the `smoothed` statistic: TensorBoard's debiased EMA (as the charts draw it)
 * at 0.6, the last value of the smoothed series. A fixed weight, so the column means the same in every table.
 */
export const TABLE_SMOOTHING = 0.6;

/** A column of the table: `values[i]` belongs to `runs[i]`; a column every run has with one value is sent once. */
export type RunTableColumn = { id: string; values: Cell[] } | { id: string; constant: Cell };

export interface RunTableRun {
  model: string;
  status: RunStatus;
  live: RunLiveness;
  epoch: number;
  epochs: number;
  started: string;
  testScore?: TestScore;
}

export interface RunTable {
  experiment: string;
  runs: RunTableRun[];
  /**
   * `config:<dotted key>` for every key of the runs' config.toml (the `[params]` of command runs and the
   * `[provenance]` included), `metric:<name>:<stat>` for every number the runs' epoch_end events carry.
   */
  columns: RunTableColumn[];
}

export const configColumnId = (key: string): string => `config:${key}`;
export const metricColumnId = (name: string, stat: MetricStat): string => `metric:${name}:${stat}`;

export type ColumnRef = { kind: 'config'; key: string } | { kind: 'metric'; name: string; stat: MetricStat };

/** The parts of a column id; null for an id that is neither kind. */
export function parseColumnId(id: string): ColumnRef | null {
  if (id.startsWith('config:')) return { kind: 'config', key: id.slice('config:'.length) };
  const match = /^metric:(.+):(last|min|max|smoothed)$/.exec(id);
  return match ? { kind: 'metric', name: match[1]!, stat: match[2] as MetricStat } : null;
}

/**
 * Whether a smaller value of a metric is better: losses and errors are, scores are not. Metric names are
 * free (command runs write their own), so this goes by name: loss, error, mae, mse, rmse, perplexity.
 */
export function lowerIsBetter(metric: string): boolean {
  return /(^|_)(loss|error|err|mae|mse|rmse|mape|perplexity|ppl|cer|wer)(_|$)/i.test(metric);
}
