/**
 * Progress of a long job (archive, sync, preprocess, training), reported by the core and drawn by the CLI
 * (TTY bar) or the UI; the one progress type (`progress` events add their taskId).
 */
export interface Progress {
  /** What is happening now, e.g. "reading", "splitting", "epoch 3/100". */
  phase: string;
  done: number;
  total: number;
  unit: 'bytes' | 'rows' | 'batches' | 'epochs' | 'items';
}

export type ProgressListener = (progress: Progress) => void;
