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
 * Where a sweep's trials run. The controller never starts a process itself: it creates runs and stops them
 * through this, and reads everything else from the run folders (status.json, metrics.jsonl), which is what
 * every executor produces. The local one is the app's run queue (RunManager); an SSH or Slurm executor
 * implements the same three calls (a Slurm one can collect `start`s into one job array, `-a 0-N%K`).
 */
export interface TrialLauncher {
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
