import { listRunFolders, readRunState } from '../training/run-store.js';
import { workspace } from '../workspace.js';
import type { LiveRun } from './manifest.js';

/** A run written on another host counts as live while its status.json was updated this recently. */
export const REMOTE_LIVE_WINDOW_MS = 10 * 60_000;

/**
 * Runs being written right now, for the MANIFEST (their newest checkpoint may be missing): those with a
 * live writer as every reader judges it (readRunState: the run's lock, or a running status written on
 * another host). A writer on another host (a shared folder) cannot be checked from here: it counts while
 * its status.json was updated within REMOTE_LIVE_WINDOW_MS, since a node that crashed leaves its lock.
 */
export async function findLiveRuns(root: string, now = Date.now()): Promise<LiveRun[]> {
  const live: LiveRun[] = [];
  for (const { experiment, model, dir } of await listRunFolders(workspace(root))) {
    const state = await readRunState(dir);
    if (!state?.live || state.pid === undefined || state.host === undefined) continue;
    if (state.live === 'elsewhere' && !(now - Date.parse(state.file.updated) < REMOTE_LIVE_WINDOW_MS)) continue;
    live.push({ experiment, model, path: `experiments/${experiment}/models/${model}`, pid: state.pid, host: state.host, updated: state.file.updated });
  }
  return live;
}
