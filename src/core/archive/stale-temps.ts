import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { TEMP_PREFIX } from '../fs/atomic.js';
import { processMatches } from '../runs/lock.js';

/** Temporaries this process is using right now (a long-lived process may run several jobs at once). */
const ours = new Set<string>();

/**
 * A temporary name that says which process owns it: `.tmp-<kind>-<pid>-<random>`. Registered until
 * `release`, so a cleanup in the same process never takes it for a leftover.
 */
export function ownedTempName(dir: string, kind: string, suffix: string): string {
  const path = join(dir, `${TEMP_PREFIX}${kind}-${process.pid}-${suffix}`);
  ours.add(path);
  return path;
}

export function releaseTempName(path: string): void {
  ours.delete(path);
}

/**
 * The entries of `dir` named `.tmp-<kind>-<pid>-…` whose process is gone (killed with SIGKILL, or the
 * machine lost power): what a previous archive or restore left behind. Owned by another live process → kept.
 */
export async function staleTemps(dir: string, kind: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const prefix = `${TEMP_PREFIX}${kind}-`;
  const stale: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = /^(\d+)-/.exec(name.slice(prefix.length))?.[1];
    if (pid === undefined) continue;
    const path = join(dir, name);
    // Our own pid with a name we did not register is a leftover of an earlier process that had this pid.
    const alive = Number(pid) === process.pid ? ours.has(path) : processMatches(Number(pid));
    if (!alive) stale.push(path);
  }
  return stale;
}
