import { describe } from 'vitest';

/**
 * `describe` for a suite that needs a component not every machine has (sshd, a Slurm cluster: give
 * sshdUnavailable() ?? slurmUnavailable()). Where `missing` says why one cannot run here, the suite is
 * skipped, and says why in its title and on stderr (a skipped suite's body runs, but not its hooks:
 * useSshd/useSlurm inside it start nothing).
 */
export function describeIfAvailable(missing: string | undefined, title: string, body: () => void): void {
  if (missing) console.warn(`skipping "${title}": ${missing}`);
  describe.skipIf(missing !== undefined)(missing ? `${title} (skipped: ${missing})` : title, body);
}

/**
 * The instance a suite's beforeAll starts (`current()`), for code written before it exists: every
 * property read goes to the running one; one outside a test (before beforeAll, after afterAll) throws
 * with `why()`.
 */
export function whileRunning<T extends object>(what: string, current: () => T | undefined, why: () => string): T {
  return new Proxy({} as T, {
    get(_, key) {
      const instance = current();
      if (!instance) throw new Error(`${what} is not running (${why()})`);
      const value: unknown = Reflect.get(instance, key);
      return typeof value === 'function' ? value.bind(instance) : value;
    },
  });
}
