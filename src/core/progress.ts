/** Progress of a long job, reported by the core and drawn by the CLI (TTY bar) or the UI. */
export interface Progress {
  /** What is happening now, e.g. "reading", "splitting", "epoch 3/100". */
  phase: string;
  done: number;
  total: number;
  unit: 'bytes' | 'rows' | 'batches' | 'epochs' | 'items';
}

export type ProgressListener = (progress: Progress) => void;
