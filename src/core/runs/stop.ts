import { appendFileSync } from 'node:fs';
import { ExpmanError } from '../errors.js';
import type { RunError } from '../../shared/runs.js';
import { runFiles } from '../workspace.js';
import { readStatus, writeStatus } from '../training/run-store.js';
import { acquireRunLock, lockLiveness, processMatches, readLock, type LockFile } from './lock.js';

/** How long a run gets to stop after SIGTERM (finish its batch, write status) before SIGKILL. */
export const DEFAULT_STOP_GRACE_MS = 10_000;
/** After SIGKILL the kernel ends a process at once; this only bounds the wait for it to be reaped. */
const KILL_WAIT_MS = 5_000;

/** Something that can be asked to stop, be killed, and tells when it has ended. */
export interface Stoppable {
  stop(): void;
  kill(): void;
  /** Resolves once the process has ended. */
  ended: Promise<unknown>;
}

export interface StopOptions {
  /** SIGKILL at once instead of SIGTERM first. */
  force?: boolean;
  /** SIGTERM → SIGKILL grace period; default DEFAULT_STOP_GRACE_MS. */
  graceMs?: number;
}

export interface StopOutcome {
  /** The last signal sent. */
  signal: 'SIGTERM' | 'SIGKILL';
  /** Whether the process has ended (false only if it outlived SIGKILL's bound, e.g. stuck in the kernel). */
  ended: boolean;
}

function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Stops a process the way fiddle stops a run: SIGTERM, then SIGKILL when it has not ended after the
 * grace period. Never waits unbounded.
 */
export async function escalateStop(target: Stoppable, options: StopOptions = {}): Promise<StopOutcome> {
  if (!options.force) {
    target.stop();
    if (await within(target.ended, options.graceMs ?? DEFAULT_STOP_GRACE_MS)) return { signal: 'SIGTERM', ended: true };
  }
  target.kill();
  return { signal: 'SIGKILL', ended: await within(target.ended, KILL_WAIT_MS) };
}

/** Resolves when the process (pid, start time) is gone; polls, since it need not be our child. */
function endedProcess(pid: number, procStart: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (signal.aborted || !processMatches(pid, procStart)) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 50);
    check();
  });
}

/**
 * Stops whatever holds a run's lock on this host — a run this process started, one a previous server
 * started before it crashed, or a CLI run. The pid is verified against the lock's process start time
 * before every signal, so a reused pid is never signalled. A run ended by SIGKILL cannot record its own
 * end: its status is then set to `stopped` here (taking over its stale lock).
 */
export async function stopLiveRun(dir: string, options: StopOptions = {}): Promise<StopOutcome & { pid: number }> {
  const lock = readLock(dir);
  const live = lockLiveness(lock);
  if (!lock || live === null) throw new ExpmanError('RUN_NOT_LIVE', `run ${dir} is not running (no live lock)`, { file: dir });
  if (live === 'elsewhere') {
    throw new ExpmanError('RUN_NOT_LIVE', `run ${dir} is running on ${lock.host} (pid ${lock.pid}): stop it there`, { file: dir, host: lock.host, pid: lock.pid });
  }
  const outcome = await stopLockHolder(lock, options);
  if (outcome.signal === 'SIGKILL' && outcome.ended) await markStopped(dir, `stopped with SIGKILL (pid ${lock.pid})`);
  return { ...outcome, pid: lock.pid };
}

async function stopLockHolder(lock: LockFile, options: StopOptions): Promise<StopOutcome> {
  const cancel = new AbortController();
  const send = (signal: NodeJS.Signals): void => {
    if (!processMatches(lock.pid, lock.proc_start)) return;
    try {
      process.kill(lock.pid, signal);
    } catch {
      // ended between the check and the signal
    }
  };
  try {
    return await escalateStop({ stop: () => send('SIGTERM'), kill: () => send('SIGKILL'), ended: endedProcess(lock.pid, lock.proc_start, cancel.signal) }, options);
  } finally {
    cancel.abort();
  }
}

/**
 * Records the end of a run whose process could not (killed, crashed, never started): a `running` or
 * `queued` status becomes `stopped` or `failed`; a failure's stderr tail is added to the status's error
 * and to run.log. Takes the run's (now stale) lock for the write; does nothing if a live writer holds it.
 */
export async function markEnded(dir: string, status: 'stopped' | 'failed', message: string, error?: RunError): Promise<void> {
  let lock;
  try {
    lock = acquireRunLock(dir, { command: `record the end of the run (${status})` });
  } catch {
    return;
  }
  try {
    const current = await readStatus(dir);
    if (!current) return;
    const now = new Date().toISOString();
    const open = current.status === 'running' || current.status === 'queued';
    if (open) {
      await writeStatus(dir, { ...current, status, updated: now, finished: now, ...(error ? { error } : {}) });
    } else if (current.status === 'failed' && error?.stderr_tail?.length && !current.error?.stderr_tail) {
      await writeStatus(dir, { ...current, error: { ...(current.error ?? error), stderr_tail: error.stderr_tail } });
    } else {
      return;
    }
    try {
      const lines = [message, ...(error?.stderr_tail ?? []).map((l) => `  stderr: ${l}`)];
      appendFileSync(runFiles.runLog(dir), lines.map((l) => `[${now}] [${status === 'failed' ? 'error' : 'warn'}] ${l}\n`).join(''));
    } catch {
      // the run folder has no logs/ (removed): the status says it
    }
  } catch {
    // a full disk or a removed folder: the lock's release still tells readers the run has ended
  } finally {
    lock.release();
  }
}

export async function markStopped(dir: string, message: string): Promise<void> {
  await markEnded(dir, 'stopped', message);
}
