import { ExpmanError } from './errors.js';

/** The one error a cancelled archive, restore or sync ends with (the CLI maps it to exit 130). */
export function cancelledError(what: string): ExpmanError {
  return new ExpmanError('CANCELLED', `${what} cancelled`);
}

export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(what);
}
