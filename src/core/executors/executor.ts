import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import type { WorkerRuntime } from '../training/worker-runtime.js';
import type { RunEvent } from '../../shared/run-events.js';
import type { ExecutorInfo, RunError } from '../../shared/runs.js';
import type { ExecutorKind } from './targets.js';

/**
 * Where a run's worker executes. Every executor starts the same worker, `expman train --resume <dir>`,
 * which owns the run (its lock, status.json, metrics.jsonl) whatever trains; an executor only decides
 * where that process starts, how it is signalled, how its events reach this machine, and how its files
 * come home. One contract (tests/core/executors/contract.ts) is run against each.
 */
export interface LaunchRequest {
  /** The run folder in this data folder: prepared (`queued`) or stopped, trained from its config.toml. */
  dir: string;
  /** The Node.js that runs the worker where it runs on this machine (local, or a shared-file-system job). */
  runtime: WorkerRuntime;
  /** The run's events as they are written (from the worker's stdout locally, from metrics.jsonl otherwise). */
  onEvent?: (event: RunEvent) => void;
  /** Worker or scheduler output lines. */
  onLog?: (line: string) => void;
  /** Each change of where the run stands (a Slurm job going from PENDING to RUNNING, and why it waits). */
  onState?: (state: ExecState) => void;
}

export interface ExecState {
  phase: 'pending' | 'running' | 'ended';
  /** In words, for people: "Slurm job 12 PENDING (Resources)", "pid 4711 on vm". */
  detail: string;
  /** The scheduler's state and reason, as it says them (PENDING, Priority; RUNNING; FAILED, NonZeroExitCode). */
  state?: string;
  reason?: string;
  node?: string;
}

/** How the run ended, after the executor has recorded in its folder what the worker could not. */
export interface ExecEnd {
  state: 'finished' | 'failed' | 'stopped';
  code: number | null;
  signal: string | null;
  error?: RunError;
}

export interface ExecHandle {
  /** The worker's pid where it is a process of this machine. */
  pid?: number;
  /** The scheduler's id (Slurm job id). */
  jobId?: string;
  state(): Promise<ExecState>;
  /** Asks the worker to stop after its current batch (SIGTERM; scancel): the run ends `stopped`, resumable. */
  stop(): void;
  /** Ends it at once (SIGKILL; scancel --signal=KILL). */
  kill(): void;
  /** Resolves once, when the worker is gone and the run folder says how it ended. */
  ended: Promise<ExecEnd>;
}

export interface Executor {
  readonly kind: ExecutorKind;
  launch(request: LaunchRequest): Promise<ExecHandle>;
  /**
   * Launches many runs as one submission that the scheduler runs at most `limit` at a time (a Slurm job
   * array, `--array=0-(N-1)%limit`): one entry in the cluster's queue instead of N, and the scheduler,
   * not this process, keeps the limit. Resolves to one handle per request, in order; each stops, kills
   * and follows its own run as `launch`'s does. Only executors whose scheduler has arrays offer it.
   */
  launchArray?(requests: readonly LaunchRequest[], limit: number): Promise<ExecHandle[]>;
}

/**
 * Set (to "1") in the environment of a process that works on a run where the run is: the worker an
 * executor started on a target (the SSH host's detached process, the Slurm job), the `expman test` run
 * there, a test the app has decided to run here. `expman train --resume` of a run whose config names a
 * target resumes it there (ships it, submits it), and `expman test` tests it there, except in such a
 * process: the run has arrived, and it trains or tests in place.
 */
export const IN_PLACE_ENV = 'EXPMAN_IN_PLACE';

/** Whether this process works on runs in place (see IN_PLACE_ENV). */
export function runsInPlace(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[IN_PLACE_ENV] === '1';
}

/** `<run>/executor.json`: where a run executes (provenance, and what re-attaching needs). Absent for local runs. */
export const EXECUTOR_RECORD = 'executor.json';

export function executorRecordFile(dir: string): string {
  return join(dir, EXECUTOR_RECORD);
}

export async function readExecutorRecord(dir: string): Promise<ExecutorInfo | null> {
  try {
    return JSON.parse(await fs.readFile(executorRecordFile(dir), 'utf8')) as ExecutorInfo;
  } catch {
    return null;
  }
}

/** The same, read synchronously (listRuns reads thousands of runs in synchronous batches); a missing file costs one existsSync. */
export function readExecutorRecordSync(dir: string): ExecutorInfo | null {
  const file = executorRecordFile(dir);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ExecutorInfo;
  } catch {
    return null;
  }
}

export async function writeExecutorRecord(dir: string, record: ExecutorInfo): Promise<void> {
  await writeFileAtomic(executorRecordFile(dir), `${JSON.stringify(record, null, 2)}\n`);
}

/** How many lines of a job's output a failure report keeps. */
export const OUTPUT_TAIL_LINES = 20;

/** The last lines of a text file (a job's output), or [] when it cannot be read. */
export async function fileTail(file: string, lines = OUTPUT_TAIL_LINES): Promise<string[]> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '').slice(-lines);
  } catch {
    return [];
  }
}
