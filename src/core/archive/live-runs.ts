import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isTempName } from '../fs/atomic.js';
import { readStatus } from '../training/run-store.js';
import type { LiveRun } from './manifest.js';

/** A run on another host counts as live while its status.json was updated this recently. */
export const REMOTE_LIVE_WINDOW_MS = 10 * 60_000;

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !isTempName(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Runs that are training right now: status.json says running and, on this host, the process is alive;
 * on another host (a shared folder) the file was updated within REMOTE_LIVE_WINDOW_MS.
 */
export async function findLiveRuns(root: string, now = Date.now()): Promise<LiveRun[]> {
  const live: LiveRun[] = [];
  for (const experiment of await subdirs(join(root, 'experiments'))) {
    for (const model of await subdirs(join(root, 'experiments', experiment, 'models'))) {
      const status = await readStatus(join(root, 'experiments', experiment, 'models', model));
      if (status?.status !== 'running') continue;
      const alive =
        status.host === hostname() ? processAlive(status.pid) : now - Date.parse(status.updated) < REMOTE_LIVE_WINDOW_MS;
      if (alive) {
        live.push({ experiment, model, path: `experiments/${experiment}/models/${model}`, pid: status.pid, host: status.host, updated: status.updated });
      }
    }
  }
  return live;
}
