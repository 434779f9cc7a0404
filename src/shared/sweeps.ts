/**
 * Sweeps as the API carries them: pure, serialisable types (the core writes them to the sweep folder,
 * the CLI prints them, the renderer draws them).
 */
export type SweepParamValue = number | string | boolean | Array<number | string | boolean>;

/**
 * A trial is one run of a sweep. `pending`: proposed and recorded, its run folder not created yet;
 * then its run's status. `stopped`: interrupted (sweep stopped or crashed): `sweep resume` continues it.
 */
export type TrialStatus = 'pending' | 'queued' | 'running' | 'finished' | 'failed' | 'stopped' | 'pruned';

export interface TrialRecord {
  /** Run index in the sweep, from 0. */
  trial: number;
  /** The configuration it trains (one point runs `repeats` times, with different seeds). */
  point: number;
  repeat: number;
  params: Record<string, SweepParamValue>;
  /** The run folder's name: experiments/<experiment>/models/<run>. */
  run: string;
  status: TrialStatus;
  /** The sweep's metric: the best value the run wrote (lowest or highest, by the goal). */
  value?: number;
  /** The last epoch the run reported. */
  epoch?: number;
  /** Why it was pruned or failed. */
  reason?: string;
  started?: string;
  ended?: string;
}

export type SweepStatus = 'running' | 'stopped' | 'finished' | 'failed';

export interface SweepState {
  name: string;
  experiment: string;
  status: SweepStatus;
  created: string;
  updated: string;
  /** Seconds the sweep has run in earlier sessions (a time budget counts them all). */
  elapsed_s: number;
  /** When the current session began (status running). */
  session_started?: string;
  /** The sampler's state: which method, its seed, the next point it proposes. */
  sampler: { method: 'grid' | 'random' | 'tpe'; seed: number; next_point: number };
  /** Why it finished (budget, grid exhausted) or failed. */
  reason?: string;
  error?: { code: string; message: string };
}

export interface SweepSummary {
  name: string;
  experiment: string;
  status: SweepStatus;
  /** Whether a controller drives it now (its lock is live). */
  live: boolean;
  method: 'grid' | 'random' | 'tpe';
  metric: string;
  goal: 'minimize' | 'maximize';
  /** Points in the budget (null: time budget only). */
  budget: number | null;
  trials: number;
  counts: Partial<Record<TrialStatus, number>>;
  best: { trial: number; run: string; value: number } | null;
  updated: string;
}

export interface SweepParameterDto {
  key: string;
  kind: 'values' | 'uniform' | 'log_uniform' | 'int';
  values?: SweepParamValue[];
  low?: number;
  high?: number;
}

export interface SweepDetail {
  summary: SweepSummary;
  parameters: SweepParameterDto[];
  trials: TrialRecord[];
  state: SweepState;
  /** The definition as written (sweep.toml). */
  source: string;
}
