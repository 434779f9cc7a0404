import { hostname } from 'node:os';
import { markEnded } from '../runs/stop.js';
import { startWorker, type WorkerExit } from '../training/supervisor.js';
import type { RunError } from '../../shared/runs.js';
import type { ExecEnd, ExecHandle, ExecState, Executor, LaunchRequest } from './executor.js';

/**
 * The worker as a detached child of this process (supervisor.ts): it outlives us, and its stdout is the
 * fast event path while we live. Its exit tells how the run ended; a worker that was killed or crashed
 * could not record that itself, so it is recorded here (markEnded changes only a run still open).
 */
export const localExecutor: Executor = {
  kind: 'local',
  launch(request: LaunchRequest): Promise<ExecHandle> {
    let stopRequested = false;
    let ended = false;
    const handle = startWorker({
      args: ['train', '--resume', request.dir],
      node: request.runtime.node,
      env: request.runtime.env,
      ...(request.onEvent ? { onEvent: request.onEvent } : {}),
      ...(request.onLog ? { onLog: request.onLog } : {}),
    });
    const where = `pid ${handle.pid} on ${hostname()}`;
    request.onState?.({ phase: 'running', detail: where });
    const end = handle.exited.then(async (exit): Promise<ExecEnd> => {
      ended = true;
      const state: ExecEnd['state'] = exit.code === 0 ? 'finished' : stopRequested || exit.code === 130 || exit.code === 143 ? 'stopped' : 'failed';
      const how = exit.signal ?? `exit code ${exit.code}`;
      if (state === 'stopped') await markEnded(request.dir, 'stopped', `training process ${handle.pid} ended with ${how} before recording its stop`);
      if (state === 'failed') {
        const error = workerFailure(exit);
        await markEnded(request.dir, 'failed', `training process ${handle.pid} ended with ${how}`, error);
        return { state, code: exit.code, signal: exit.signal, error };
      }
      return { state, code: exit.code, signal: exit.signal };
    });
    return Promise.resolve({
      pid: handle.pid,
      state: (): Promise<ExecState> => Promise.resolve(ended ? { phase: 'ended', detail: where } : { phase: 'running', detail: where }),
      stop: () => {
        stopRequested = true;
        handle.stop();
      },
      kill: () => {
        stopRequested = true;
        handle.kill();
      },
      ended: end,
    });
  },
};

/**
 * Why a worker failed: the error the CLI reported, else how the process ended; with the tail of its stderr
 * when it did not end with a clean one-line error (a crash trace is what tells the user why).
 */
export function workerFailure(exit: WorkerExit): RunError {
  const clean = exit.error && exit.error.code !== 'INTERNAL';
  const error: RunError = exit.error ? { ...exit.error } : { code: 'WORKER_FAILED', message: `training process ended with ${exit.signal ?? `exit code ${exit.code}`}` };
  if (!clean && exit.stderrTail.length > 0) {
    // The error line of a crash trace says more than its last stack frame.
    const last = exit.stderrTail.findLast((l) => l.trim() !== '' && !/^\s*at /.test(l)) ?? exit.stderrTail.findLast((l) => l.trim() !== '');
    if (last && !exit.error) error.message += `: ${last.trim()}`;
    error.stderr_tail = [...exit.stderrTail];
  }
  return error;
}
