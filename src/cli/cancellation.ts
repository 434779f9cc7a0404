import { isExpmanError } from '../core/errors.js';

export type Cancellable<T> = { ok: true; value: T } | { ok: false; signal: 'SIGINT' | 'SIGTERM' };

/**
 * Runs a long core job with an AbortSignal that Ctrl-C (SIGINT) or SIGTERM trips, so the job cleans up
 * (no partial archive, rsync stopped) instead of the process dying mid-write.
 */
export async function cancellable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<Cancellable<T>> {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | undefined;
  const onInt = () => {
    received ??= 'SIGINT';
    controller.abort();
  };
  const onTerm = () => {
    received ??= 'SIGTERM';
    controller.abort();
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return { ok: true, value: await work(controller.signal) };
  } catch (error) {
    if (received && isExpmanError(error) && error.code === 'CANCELLED') return { ok: false, signal: received };
    throw error;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** The conventional exit status of a process stopped by a signal. */
export function signalExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGINT' ? 130 : 143;
}
