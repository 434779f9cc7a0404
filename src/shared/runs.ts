/**
 * Runs and training jobs as the UI sees them. Pure, serialisable types: the core produces them, the API
 * carries them, the renderer draws them.
 */
import type { BestSoFar, RunEvent } from './run-events.js';

/**
 * A run's lifecycle as recorded in status.json. `queued`: its folder and config snapshot exist, training
 * has not started. A `running` run whose writer is gone from this host reads as `failed`; a `queued` one
 * whose queue (server) is gone reads as `stopped`. `pruned`: a sweep stopped it early because its metric
 * was not promising (median stopping, ASHA); like `stopped` it keeps its logs and checkpoints, but it is
 * the end of the run, not an interruption.
 */
export type RunStatus = 'queued' | 'running' | 'finished' | 'failed' | 'stopped' | 'pruned';

/** Why a run or job failed; `stderr_tail`: the last lines its process wrote to stderr (crash traces). */
export interface RunError {
  code: string;
  message: string;
  stderr_tail?: string[];
}

/**
 * Who writes a run now, from its lock.json: `here` — a live process on this host (Stop can signal it,
 * whoever started it); `elsewhere` — another host (cannot be checked or signalled from here); null — no
 * live writer.
 */
export type RunLiveness = 'here' | 'elsewhere' | null;

/**
 * Where a run executes when it is not a child of this machine's expman (`<run>/executor.json`): provenance
 * (target, host, job id, node, the expman version there) and what a reader shows while a scheduler holds
 * it (`state`/`reason`: "PENDING", "Resources").
 */
export interface ExecutorInfo {
  executor: 'ssh' | 'slurm';
  target: string;
  /** The machine the job was submitted from (Slurm) or the run executes on (SSH). */
  host: string;
  job_id?: string;
  /** The node the job runs (ran) on, once it started. */
  node?: string;
  submitted: string;
  /** The scheduler's state and reason when last seen, e.g. PENDING / Priority. */
  state?: string;
  reason?: string;
  restarts?: number;
  expman_version?: string;
}

/** A target of $DATA/targets.toml, for the launcher's "where" choice. */
export interface TargetSummary {
  name: string;
  executor: 'ssh' | 'slurm';
  /** Its settings in words: "slurm submit here, partition gpu, time 02:00:00". */
  description: string;
}

/** accuracy for a classification run, R² for a regression run. */
export interface TestScore {
  metric: 'accuracy' | 'r2';
  value: number;
}

export interface RunSummary {
  experiment: string;
  model: string;
  dir: string;
  status: RunStatus;
  epoch: number;
  epochs: number;
  backend?: string;
  backend_version?: string;
  device?: string;
  best: BestSoFar | null;
  started: string;
  /** When status.json was last written (ISO time): of two summaries of a run, the later one wins. */
  updated?: string;
  error?: RunError;
  live: RunLiveness;
  /** The live writer's pid and host (from lock.json), when `live` is set. */
  pid?: number;
  host?: string;
  /** The test set's headline metric, once `expman test` (or Test in the UI) has evaluated the run. */
  testScore?: TestScore;
  /** Where it executes when not on this machine (SSH host, Slurm job). */
  executor?: ExecutorInfo;
}

/** A run identified inside the open data folder: experiments/<experiment>/models/<model>. */
export interface RunRef {
  experiment: string;
  model: string;
}

export interface ExperimentSummary {
  name: string;
  /** Whether experiments/<name>/config.toml exists. */
  hasConfig: boolean;
  runs: RunSummary[];
}

/** A training job supervised by the app: queued until a slot is free, then a child process. */
export type JobState = 'queued' | 'running' | 'finished' | 'failed' | 'stopped';

export interface JobInfo {
  id: string;
  run: RunRef;
  /** `attach`: a run executing on a target that this app followed again after a restart (RunManager.adopt). */
  kind: 'train' | 'resume' | 'rerun' | 'attach';
  state: JobState;
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  pid?: number;
  /** Set once the process has exited. */
  exit?: { code: number | null; signal: string | null };
  error?: RunError;
  /** Latest epoch seen, for badges. */
  epoch?: number;
  epochs?: number;
  /** Where it executes: `runtime.executor` and `runtime.target` of its config. */
  executor?: 'local' | 'ssh' | 'slurm';
  target?: string;
  /** Where it stands there, in words: "Slurm job 12 PENDING (Resources)", "pid 4711 on vm". */
  where?: string;
}

export interface CheckpointInfo {
  epoch: number;
}

/** What `expman test` wrote to experiments/<e>/results/<model>/. */
export interface TestResultsDto {
  task: 'classification' | 'regression';
  /**
   * metrics.csv: classification: accuracy, macro/weighted precision, recall, f1; regression: mae, rmse,
   * r2; both: test_rows, best_epoch.
   */
  metrics: Record<string, number>;
  /** Regression: predictions.csv's actual and predicted columns (original units), row by row. */
  predictions?: { actual: number[]; predicted: number[] };
  /** per-class.csv rows. */
  perClass: Array<{ class: string; precision: number; recall: number; f1: number; support: number }>;
  classes: string[];
  /** confusion[i][j]: rows of true class i predicted as class j. */
  confusion: number[][];
}

export interface RunDetail {
  summary: RunSummary;
  /** The completed config (flat key → value) saved with the run. */
  config: Record<string, unknown>;
  /** The run's config.toml as written (with provenance). */
  configText: string;
  provenance: Record<string, unknown>;
  checkpoints: number[];
  hasBestModel: boolean;
  results: TestResultsDto | null;
}

/** The `early_stopped` event of a run: the epoch it stopped at, its best epoch, and the patience that ran out. */
export type EarlyStop = Pick<Extract<RunEvent, { event: 'early_stopped' }>, 'epoch' | 'best_epoch' | 'patience'>;

/** Full-resolution per-epoch and per-batch metrics of a run, from logs/metrics.jsonl. */
export interface RunMetrics {
  /** Set when the run stopped early (from its early_stopped event). */
  earlyStop?: EarlyStop;
  epochs: Array<Extract<RunEvent, { event: 'epoch_end' }>>;
  batches: Array<{ epoch: number; batch: number; batches: number; loss: number; accuracy?: number }>;
  /** Byte offset of metrics.jsonl read so far: ask again with `since` to get only what is new. */
  offset: number;
}
