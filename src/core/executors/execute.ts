import { ExpmanError } from '../errors.js';
import { readStatus } from '../training/run-store.js';
import type { RunResult, TrainHooks } from '../training/train.js';
import type { WorkerRuntime } from '../training/worker-runtime.js';
import type { ExecHandle, LaunchRequest } from './executor.js';
import type { Placement } from './select.js';

/**
 * Trains a prepared run folder through its executor and follows it to the end, as `expman train` does
 * for a run placed on a cluster: the run's events reach `hooks.onEvent`, where it stands (PENDING and
 * why, the node) reaches `hooks.onLog`, and aborting `hooks.signal` stops it (scancel: the worker stops
 * after its batch, resumable). A run that fails there is thrown with why (and its output tail in status.json).
 */
export async function executePrepared(
  placement: Placement,
  run: { dir: string; experiment: string; model: string; runtime: WorkerRuntime },
  hooks: TrainHooks,
): Promise<RunResult> {
  const handle = await placement.executor.launch({ dir: run.dir, runtime: run.runtime, ...followRequest(hooks) });
  return followRun(handle, run, hooks);
}

/** What a launch or an attach passes on to the terminal (or any TrainHooks). */
export function followRequest(hooks: TrainHooks): Pick<LaunchRequest, 'onEvent' | 'onLog' | 'onState'> {
  return {
    ...(hooks.onEvent ? { onEvent: hooks.onEvent } : {}),
    onLog: (line) => hooks.onLog?.('info', line),
    onState: (state) => hooks.onLog?.('info', state.detail),
  };
}

/** Follows a launched (or re-attached) run to its end; aborting `hooks.signal` stops it. */
export async function followRun(handle: ExecHandle, run: { dir: string; experiment: string; model: string }, hooks: TrainHooks): Promise<RunResult> {
  const stop = (): void => handle.stop();
  if (hooks.signal?.aborted) stop();
  hooks.signal?.addEventListener('abort', stop, { once: true });
  try {
    const end = await handle.ended;
    const status = await readStatus(run.dir);
    if (end.state === 'failed') {
      const error = end.error ?? status?.error;
      throw new ExpmanError('WORKER_FAILED', error?.message ?? `run ${run.experiment}/${run.model} failed`, { file: run.dir });
    }
    return {
      dir: run.dir,
      experiment: run.experiment,
      model: run.model,
      status: end.state,
      epochsCompleted: status?.epoch ?? 0,
      best: status?.best ?? null,
      earlyStopped: end.state === 'finished' && (status?.epoch ?? 0) < (status?.epochs ?? 0),
    };
  } finally {
    hooks.signal?.removeEventListener('abort', stop);
  }
}
