/**
 * The datasets part of the API contract: what the main process sends the Datasets view and what the view
 * asks for. Plain serialisable data (structured-clone and JSON safe) plus the zod schemas that check each
 * request at the IPC boundary. No Node built-ins, no Electron.
 */
import { z } from 'zod';
import { nameSchema } from './name-schema.js';
import type { Progress } from './progress.js';

/**
 * Which file of a dataset: `raw` is `datasets/external/<name>.csv`; a prepared dataset has `train` and
 * `test` (separate sets) or `data` (one file with a `set` column).
 */
export const DATASET_PARTS = ['raw', 'train', 'test', 'data'] as const;
export type DatasetPart = (typeof DATASET_PARTS)[number];

export type DatasetKind = 'external' | 'prepared';

export interface DatasetFileSummary {
  part: DatasetPart;
  /** Path relative to the data folder, with forward slashes. */
  path: string;
  bytes: number;
  /** Data rows (header and blank lines excluded). */
  rows: number;
}

export interface DatasetColumnSummary {
  name: string;
  dtype: 'float64' | 'object';
  role: 'feature' | 'label' | 'set';
}

export interface DatasetSplitSummary {
  trainFraction: number;
  separateSets: boolean;
  stratified: boolean;
  seed: number;
  trainRows: number;
  testRows: number;
  classBalance: { train: Record<string, number>; test: Record<string, number> };
}

export interface DatasetSummary {
  name: string;
  kind: DatasetKind;
  files: DatasetFileSummary[];
  /** Data rows over all files. */
  rows: number;
  columns: DatasetColumnSummary[];
  /** Label column: from info.toml, or for a raw file the last column when it is not numeric. */
  label: string | null;
  /** Class names in order of first appearance (prepared datasets; empty for raw files). */
  classes: string[];
  /** For a prepared dataset: the raw file it was made from (relative path). */
  source: string | null;
  split: DatasetSplitSummary | null;
  /** ISO time: info.toml's `created`, or the raw file's modification time. */
  created: string;
  /** Set when the folder could not be read (e.g. a broken info.toml); the rest is then partial. */
  error?: string;
}

export interface DatasetPage {
  columns: string[];
  /** Cells that parse as numbers are numbers; everything else (labels, empty cells) stays a string. */
  rows: Array<Array<string | number>>;
  offset: number;
  /** Data rows in the whole file. */
  total: number;
}

/** pandas `describe()` of one numeric column (std is the sample standard deviation, ddof = 1). */
export interface ColumnDescribe {
  column: string;
  count: number;
  mean: number;
  std: number;
  min: number;
  q25: number;
  q50: number;
  q75: number;
  max: number;
}

export interface FeatureHistogram {
  column: string;
  /** bins + 1 edges, evenly spaced from the column's min to its max; the last bin includes the max. */
  edges: number[];
  /** Rows per bin, all classes together. */
  counts: number[];
  /** Rows per bin for each class (same order as DatasetStats.classBalance), when there is a label. */
  byClass: number[][] | null;
}

export interface DatasetStats {
  name: string;
  part: DatasetPart;
  rows: number;
  describe: ColumnDescribe[];
  label: string | null;
  /** Rows per class: info.toml's class order for prepared files, else order of first appearance; empty without a label. */
  classBalance: Array<{ label: string; count: number }>;
  histograms: FeatureHistogram[];
  /** How the numbers were computed: "danfojs" (small files) or "stream" (one streaming pass). */
  engine: 'danfojs' | 'stream';
  /** Milliseconds the core spent. */
  elapsedMs: number;
}


const datasetName = nameSchema;

export const DatasetPageRequestSchema = z.object({
  name: datasetName,
  part: z.enum(DATASET_PARTS),
  offset: z.number().int().min(0),
  limit: z.number().int().min(1).max(10_000),
});
export type DatasetPageRequest = z.infer<typeof DatasetPageRequestSchema>;

export const DatasetStatsRequestSchema = z.object({
  name: datasetName,
  part: z.enum(DATASET_PARTS),
  bins: z.number().int().min(1).max(200).optional(),
});
export type DatasetStatsRequest = z.infer<typeof DatasetStatsRequestSchema>;

/** Split seeds are 32-bit (the PRNG's state): every seed in 0..SPLIT_SEED_MAX gives its own split. */
export const SPLIT_SEED_MAX = 2 ** 32 - 1;

/**
 * What a prepared dataset is for: predicting a class (softmax output, cross-entropy, accuracy) or a number
 * (linear output, mse/mae/huber, MAE/RMSE/R²). `preprocess` detects it from the label; `--task` overrides.
 */
export const TASKS = ['classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];

export const PreprocessRequestSchema = z.object({
  /** Raw dataset under datasets/external (without .csv). */
  source: datasetName,
  split: z.number().gt(0).lt(1),
  separateSets: z.boolean(),
  seed: z.number().int().min(0).max(SPLIT_SEED_MAX).optional(),
  name: datasetName.optional(),
  /** Label column; defaults to the last column. */
  label: z.string().min(1).optional(),
  /** Overrides the task detected from the label. */
  task: z.enum(TASKS).optional(),
  force: z.boolean().optional(),
});
export type PreprocessRequest = z.infer<typeof PreprocessRequestSchema>;

export interface PreprocessOutcome {
  /** The prepared dataset as it is now on disk. */
  dataset: DatasetSummary;
  /** True when an identical dataset was already there and nothing was written. */
  unchanged: boolean;
}

/** Defaults the CLI uses too (`expman preprocess`). */
export const PREPROCESS_DEFAULTS = { split: 0.8, seed: 42, name: 'prepared-dataset' } as const;
export const DEFAULT_HISTOGRAM_BINS = 20;

/**
 * What the Datasets view needs from its host (IPC in the app, HTTP in the browser UI, fakes in tests).
 * The view never calls window.api itself.
 */
export interface DatasetsClient {
  list(): Promise<DatasetSummary[]>;
  page(request: DatasetPageRequest): Promise<DatasetPage>;
  stats(request: DatasetStatsRequest): Promise<DatasetStats>;
  /** Rejects with the core's message on bad input; rejects after `signal` aborts, having written nothing. */
  preprocess(request: PreprocessRequest, onProgress: (progress: Progress) => void, signal: AbortSignal): Promise<PreprocessOutcome>;
  /** The list after a change in the data folder (by anyone); returns the unsubscribe function. */
  onListChanged?(listener: (datasets: DatasetSummary[]) => void): () => void;
}
