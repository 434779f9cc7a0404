import { existsSync } from 'node:fs';
import type { SyncProtectedRunDto } from '../../shared/archive-sync.js';
import { lockFile, lockLiveness, readLock } from '../runs/lock.js';
import { listRunFolders, readRunState, readStatus } from '../training/run-store.js';
import { workspace } from '../workspace.js';

/** A run folder on the receiving side that sync neither writes into nor deletes from, and why. */
export type ProtectedRun = SyncProtectedRunDto;

type Liveness = Pick<ProtectedRun, 'status' | 'pid' | 'host' | 'reason'>;

/**
 * A run folder on this machine's file system is live as every reader sees it (readRunState: a live lock,
 * a running status from another host, a queued run whose queuing process lives), or, before it has a
 * status, while its lock is live (a writer starting).
 */
async function liveHere(dir: string): Promise<Liveness | undefined> {
  const state = await readRunState(dir);
  if (state) {
    const { file } = state;
    if (state.live === 'here') return { status: file.status, pid: state.pid, host: state.host, reason: `${file.status} (pid ${state.pid} is alive)` };
    if (state.live === 'elsewhere') {
      return { status: file.status, pid: state.pid, host: state.host, reason: `${file.status} on ${state.host} (pid ${state.pid}; a process on another host cannot be checked)` };
    }
    // Queued runs hold no lock: readRunState calls one queued while the process that queued it lives.
    if (state.status === 'queued') return { status: 'queued', pid: file.pid, host: file.host, reason: `queued by pid ${file.pid} on ${file.host}` };
    return undefined;
  }
  const lock = readLock(dir);
  const live = lockLiveness(lock);
  if (!lock || !live) return undefined;
  const reason = live === 'here' ? `locked by pid ${lock.pid}, which is alive` : `locked by pid ${lock.pid} on ${lock.host} (another host: cannot be checked)`;
  return { status: 'locked', pid: lock.pid, host: lock.host, reason };
}

/**
 * State files fetched from a remote receiving side: its pids cannot be checked from here, so every run
 * it calls running or queued, and every lock.json (even one that does not parse), counts as live.
 */
async function liveRemote(dir: string): Promise<Liveness | undefined> {
  const status = await readStatus(dir);
  if (status && (status.status === 'running' || status.status === 'queued')) {
    return { status: status.status, pid: status.pid, host: status.host, reason: `${status.status} on ${status.host} (pid ${status.pid}; a process on the receiving host cannot be checked from here)` };
  }
  if (!existsSync(lockFile(dir))) return undefined;
  const lock = readLock(dir);
  if (!lock) return { status: status?.status ?? 'locked', reason: 'lock.json cannot be read (a process on the receiving host cannot be checked from here)' };
  return { status: status?.status ?? 'locked', pid: lock.pid, host: lock.host, reason: `locked by pid ${lock.pid} on ${lock.host} (cannot be checked from here)` };
}

/**
 * The live run folders under a data folder (`experiments/<e>/models/<m>`). `here`: the folder is on this
 * machine's file system, so liveness is judged as everywhere else (lock, run-store); otherwise it holds
 * the state files fetched from a remote receiving side (see liveRemote).
 */
export async function findLiveRunFolders(root: string, here: boolean): Promise<ProtectedRun[]> {
  const live: ProtectedRun[] = [];
  for (const { experiment, model, dir } of await listRunFolders(workspace(root))) {
    const liveness = here ? await liveHere(dir) : await liveRemote(dir);
    if (liveness) live.push({ path: `experiments/${experiment}/models/${model}`, experiment, model, ...liveness });
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
