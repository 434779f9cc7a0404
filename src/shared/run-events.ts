/**
 * Events of a training run. They are written one JSON object per line to logs/metrics.jsonl, streamed
 * by `expman train --json`, and forwarded by the desktop app; this union is the one definition.
 */
/**
 * Classification runs report accuracy; regression runs report MAE, RMSE and R² of the validation set in
 * the target's original units. Which ones an event has says the run's task (see runTask).
 */
export interface EpochMetrics {
  loss: number;
  accuracy?: number;
  val_loss: number;
  val_accuracy?: number;
  val_mae?: number;
  val_rmse?: number;
  val_r2?: number;
}

export interface BestSoFar {
  epoch: number;
  val_loss: number;
  val_accuracy?: number;
  val_mae?: number;
  val_rmse?: number;
  val_r2?: number;
}

/** The task of a run, from its metrics: regression runs carry val_r2. */
export function metricsTask(metrics: Partial<EpochMetrics> | null | undefined): 'classification' | 'regression' {
  return metrics && typeof metrics.val_r2 === 'number' ? 'regression' : 'classification';
}

/**
 * The task's headline validation score, for tables that rank runs: accuracy for classification, R² for
 * regression (both higher is better). `text` is how tables show it: "0.9667" or "R² 0.4312".
 */
export function headlineScore(best: Partial<BestSoFar> | null | undefined): { metric: 'val_accuracy' | 'val_r2'; value: number; text: string } | null {
  if (typeof best?.val_r2 === 'number') return { metric: 'val_r2', value: best.val_r2, text: `R² ${best.val_r2.toFixed(4)}` };
  if (typeof best?.val_accuracy === 'number') return { metric: 'val_accuracy', value: best.val_accuracy, text: best.val_accuracy.toFixed(4) };
  return null;
}

/** A run's test-set metric as the tables show it: `0.9667` (accuracy) or `R² 0.5312`. */
export function testScoreText(score: { metric: 'accuracy' | 'r2'; value: number } | undefined): string {
  if (!score) return '–';
  return score.metric === 'r2' ? `R² ${score.value.toFixed(4)}` : score.value.toFixed(4);
}

/** `key=value` for each metric present, in a fixed order (classification: accuracy; regression: MAE, RMSE, R²). */
export function formatMetrics(m: Partial<EpochMetrics>, digits = 4): string {
  const keys = ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'val_mae', 'val_rmse', 'val_r2'] as const;
  return keys
    .filter((k) => typeof m[k] === 'number')
    .map((k) => `${k}=${m[k]!.toFixed(digits)}`)
    .join(' ');
}

export type RunEvent =
  | { event: 'run_started'; time: string; experiment: string; model: string; dir: string; epochs: number; backend: string; device: string; train_rows: number; validation_rows: number }
  | { event: 'run_resumed'; time: string; from_epoch: number; checkpoint: string }
  | { event: 'batch_end'; time: string; epoch: number; batch: number; batches: number; loss: number; accuracy?: number }
  | ({ event: 'epoch_end'; time: string; epoch: number; epochs: number; duration_ms: number; samples_per_s: number } & EpochMetrics)
  | { event: 'checkpoint_saved'; time: string; epoch: number; path: string }
  | ({ event: 'best_model_saved'; time: string; path: string } & BestSoFar)
  | { event: 'early_stopped'; time: string; epoch: number; best_epoch: number; patience: number }
  | { event: 'run_finished'; time: string; epochs_completed: number; best: BestSoFar | null; duration_ms: number }
  | { event: 'run_stopped'; time: string; epochs_completed: number; signal: string }
  | { event: 'run_failed'; time: string; epochs_completed: number; error: { code: string; message: string } };

export type RunEventName = RunEvent['event'];

/**
 * Whether a parsed metrics.jsonl line is an event: a JSON object with a string `event`. Command runs'
 * scripts write the file too; a line that is valid JSON but no event (`42`, `null`) is skipped like a
 * torn one, so no reader (charts, `list`, notebooks) breaks on it.
 */
export function isEventObject(value: unknown): value is RunEvent {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as { event?: unknown }).event === 'string';
}

/** Distributes a Omit over a union, so `omitTime<RunEvent>` stays a discriminated union. */
export type WithoutTime<T> = T extends unknown ? Omit<T, 'time'> : never;
