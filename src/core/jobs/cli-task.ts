import { isCoreErrorCode } from '../../shared/errors.js';
import { ExpmanError } from '../errors.js';
import { startWorker } from '../training/supervisor.js';
import type { WorkerRuntime } from '../training/worker-runtime.js';

/**
 * Runs one short CLI command (e.g. `expman test`) in a plain Node.js child process, as training runs:
 * whatever loads tfjs or native backends never loads in the UI's process. Resolves with the JSON objects
 * the command printed; a failure is rethrown as the command's own typed error.
 */
export async function runCliTask(args: string[], runtime: WorkerRuntime, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const log: string[] = [];
  const handle = startWorker({
    args,
    node: runtime.node,
    env: runtime.env,
    onEvent: (event) => out.push(event as unknown as Record<string, unknown>),
    onLog: (line) => log.push(line),
  });
  const abort = (): void => handle.stop();
  signal?.addEventListener('abort', abort, { once: true });
  const exit = await handle.exited.finally(() => signal?.removeEventListener('abort', abort));
  if (exit.code === 0) return out;
  // The command's own one-line error keeps its code; a crash (INTERNAL, or a code this version does not know) is the worker's failure.
  if (exit.error && isCoreErrorCode(exit.error.code)) throw new ExpmanError(exit.error.code, exit.error.message);
  const tail = log.slice(-5).join('\n');
  if (exit.error) throw new ExpmanError('WORKER_FAILED', `expman ${args[0]} failed (${exit.error.code}): ${exit.error.message}${tail ? `\n${tail}` : ''}`);
  throw new ExpmanError('WORKER_FAILED', `expman ${args[0]} ended with ${exit.signal ?? `exit code ${exit.code}`}${tail ? `:\n${tail}` : ''}`);
}
