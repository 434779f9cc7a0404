import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SyncProtectedRunDto } from '../../shared/archive-sync.js';
import { effectiveStatus, readStatus, type StatusFile } from '../training/run-store.js';

/** A run folder on the receiving side that sync neither writes into nor deletes from, and why. */
export type ProtectedRun = SyncProtectedRunDto;

/** The run lock (`<run>/lock.json`, written by the run's one writer); only the fields read here. */
interface LockFile {
  pid: number;
  host: string;
}

async function readLock(dir: string): Promise<LockFile | null> {
  try {
    const lock = JSON.parse(await fs.readFile(join(dir, 'lock.json'), 'utf8')) as Partial<LockFile>;
    return typeof lock.pid === 'number' && typeof lock.host === 'string' ? { pid: lock.pid, host: lock.host } : { pid: -1, host: '' };
  } catch (error) {
    // A lock.json that exists but cannot be parsed is being written: its writer is live.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : { pid: -1, host: '' };
  }
}

/** Whether a process is alive; only meaningful for a pid of this host. */
export function pidAlive(pid: number): boolean {
  // effectiveStatus is the one place that decides liveness of a pid on a host: ask it about this one.
  const probe: StatusFile = { status: 'running', pid, host: hostname(), started: '', updated: '', epoch: 0, epochs: 0, best: null };
  return pid > 0 && effectiveStatus(probe) === 'running';
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    // Hidden and temporary names (.tmp-*, .tmp-rsync-partial) are never run folders.
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * Why a run folder is live, or undefined when it is not. `here`: the folder is on this machine's file
 * system, so a pid of this host can be checked (a pid of another host, on a shared folder, cannot);
 * otherwise the folder's files were fetched from a remote receiving side, whose pids cannot be checked
 * from here: every run it calls running or queued, and every lock, counts as live.
 */
function liveReason(status: StatusFile | null, lock: LockFile | null, here: boolean): string | undefined {
  const local = hostname();
  if (status && (status.status as string) === 'queued') return 'queued';
  if (status?.status === 'running') {
    if (!here) return `running on ${status.host} (pid ${status.pid}; a process on the receiving host cannot be checked from here)`;
    if (status.host !== local) return `running on ${status.host} (pid ${status.pid}; a process on another host cannot be checked)`;
    if (effectiveStatus(status) === 'running') return `running (pid ${status.pid} is alive)`;
  }
  if (lock) {
    if (lock.pid < 0) return 'lock.json is being written';
    if (!here) return `locked by pid ${lock.pid} on ${lock.host} (cannot be checked from here)`;
    if (lock.host !== local) return `locked by pid ${lock.pid} on ${lock.host} (another host: cannot be checked)`;
    if (pidAlive(lock.pid)) return `locked by pid ${lock.pid}, which is alive`;
  }
  return undefined;
}

/**
 * The live run folders under a data folder: `experiments/<e>/models/<m>` whose status.json says running
 * (or queued) with a live process, or whose lock.json is held. `here` as for liveReason.
 */
export async function findLiveRunFolders(root: string, here: boolean): Promise<ProtectedRun[]> {
  const live: ProtectedRun[] = [];
  for (const experiment of await subdirs(join(root, 'experiments'))) {
    for (const model of await subdirs(join(root, 'experiments', experiment, 'models'))) {
      const dir = join(root, 'experiments', experiment, 'models', model);
      const status = await readStatus(dir);
      const lock = await readLock(dir);
      const reason = liveReason(status, lock, here);
      if (!reason) continue;
      live.push({
        path: `experiments/${experiment}/models/${model}`,
        experiment,
        model,
        status: status?.status ?? 'locked',
        pid: status?.pid ?? lock?.pid,
        host: status?.host ?? lock?.host,
        reason,
      });
    }
  }
  return live;
}

/** rsync takes `*`, `?` and `[` in a pattern as wildcards; a backslash escapes them (only) then. */
function literalPattern(path: string): string {
  return /[*?[]/.test(path) ? path.replace(/[*?[\\]/g, '\\$&') : path;
}

/**
 * One rsync filter rule per live run folder: an exclude anchored at the transfer root. An exclude both
 * hides the folder from the sender (its files are never written over the live ones) and protects it on
 * the receiver (--delete never removes anything inside, even when the sender lacks the whole experiment:
 * rsync then keeps the folders above it). A bare `P` (protect) rule would still let the sender overwrite
 * config.toml, metrics.jsonl and checkpoints under a running training.
 */
export function protectRules(runs: readonly ProtectedRun[]): string[] {
  return runs.map((run) => `--filter=- /${literalPattern(run.path)}/`);
}
