import { appendFileSync } from 'node:fs';
import { isExpmanError } from '../errors.js';
import type { RunManager } from '../jobs/run-manager.js';
import { acquireRunLock } from '../runs/lock.js';
import { readStatus, writeStatus } from '../training/run-store.js';
import { runFiles, type Workspace } from '../workspace.js';
import type { RunRef } from '../../shared/runs.js';

/** What the controller asks to create a trial's run: an ordinary run request, tagged with the sweep. */
export interface TrialRequest {
  experiment: string;
  model: string;
  overrides: string[];
  sweep: { name: string; trial: number };
}

/**
 * Trials started together (a Slurm target: one job array, `--array=0-(N-1)%K`): the controller creates
 * every remaining trial's run folder, then hands them over in one call; the scheduler runs K at a time.
 */
export interface ArrayLauncher {
  /**
   * Whether trials like this one go to an executor with arrays (their config's runtime.executor/target),
   * and, when they do, whether it would take them (sbatch --test-only), before any trial's folder exists.
   */
  arrayable(ws: Workspace, request: TrialRequest): Promise<boolean>;
  /** Creates the trial's run folder (queued, with its config snapshot) without starting it. */
  create(ws: Workspace, request: TrialRequest): Promise<void>;
  /** Starts created (or interrupted) trials' runs as one submission running at most `limit` at once. */
  startArray(ws: Workspace, runs: readonly RunRef[], limit: number): Promise<void>;
}

/**
 * Where a sweep's trials run. The controller never starts a process itself: it creates runs and stops them
 * through this, and reads everything else from the run folders (status.json, metrics.jsonl), which is what
 * every executor produces. The local one is the app's run queue (RunManager), which also hands runs to
 * SSH and Slurm executors; `arrays` lets it submit a sweep's trials to Slurm as one job array.
 */
export interface TrialLauncher {
  /** Present when trials can be started together (see ArrayLauncher); the controller asks per sweep. */
  arrays?: ArrayLauncher;
  /** Creates the run folder (queued, with its config snapshot) and hands it to the executor. */
  start(ws: Workspace, request: TrialRequest): Promise<void>;
  /** Continues an interrupted trial's run (stopped, crashed or never started) in the same folder. */
  resume(ws: Workspace, run: RunRef): Promise<void>;
  /** Stops a run through the normal stop path (SIGTERM, then SIGKILL); resolves when it has ended. */
  stop(ws: Workspace, run: RunRef): Promise<void>;
  /**
   * Whether the executor still holds the run (waiting for a slot, or its process starting or running).
   * Between a resume and the worker's first write the run folder still says `stopped`: this tells the
   * controller not to take that for the end.
   */
  holds(ws: Workspace, run: RunRef): boolean;
  /**
   * Follows again a trial's run that its executor still holds (a Slurm job pending or running) after the
   * process that launched it died; true when it is followed now (here or by another process), false when
   * it holds no open job (then it is resumed like any interrupted run).
   */
  reattach?(ws: Workspace, run: RunRef): Promise<boolean>;
}

/** Trials as jobs of a RunManager: the same path as `runs:start` / `runs:resume` / `runs:stop-run`. */
export function runManagerLauncher(manager: RunManager): TrialLauncher {
  return {
    start: async (ws, request) => {
      await manager.start(ws, request);
    },
    resume: async (ws, run) => {
      await manager.resume(ws, run);
    },
    stop: async (ws, run) => {
      try {
        await manager.stopRun(ws, run);
      } catch (error) {
        // It ended by itself between the controller's last look and the stop (a trial finishing as it is
        // pruned, or as the sweep stops): ended is what was asked. One live on another host is not.
        if (!isExpmanError(error) || error.code !== 'RUN_NOT_LIVE' || error.details['host'] !== undefined) throw error;
      }
    },
    // A job's state turns terminal only after its end is recorded in the run folder (RunManager.launch).
    holds: (_ws, run) => manager.active().some((j) => j.run.experiment === run.experiment && j.run.model === run.model),
    reattach: (ws, run) => manager.attach(ws, run),
    arrays: {
      arrayable: (ws, request) => manager.arrayable(ws, request),
      create: async (ws, request) => {
        // arrayable() asked the scheduler; startArray asks again once before submitting.
        await manager.create(ws, request, { checked: true });
      },
      startArray: async (ws, runs, limit) => {
        await manager.startArray(ws, runs, limit);
      },
    },
  };
}

/**
 * Records that a sweep pruned a run: its status (`stopped` after the stop path, or still `running`/`queued`
 * if it ended before writing it) becomes `pruned`, with the reason in run.log. Logs, metrics and
 * checkpoints stay. Takes the run's lock for the write; does nothing while another writer holds it.
 */
export async function markPruned(dir: string, reason: string): Promise<boolean> {
  let lock;
  try {
    lock = acquireRunLock(dir, { command: 'record that a sweep pruned the run' });
  } catch {
    return false;
  }
  try {
    const current = await readStatus(dir);
    if (!current || !['running', 'queued', 'stopped'].includes(current.status)) return false;
    const now = new Date().toISOString();
    await writeStatus(dir, { ...current, status: 'pruned', updated: now, finished: current.finished ?? now });
    try {
      appendFileSync(runFiles.runLog(dir), `[${now}] [info] pruned by the sweep: ${reason}\n`);
    } catch {
      // no logs/ folder (never started): the status says it
    }
    return true;
  } finally {
    lock.release();
  }
}
