import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import { TEMP_PREFIX } from '../fs/atomic.js';

/**
 * A run folder has one writer. `lock.json` names it: created exclusively before anything is written to
 * the run and removed when the writer ends (normally, on an error or on SIGINT/SIGTERM). After a SIGKILL
 * or a crash it stays behind; it is then stale — on this host its pid is dead, or alive but started at
 * another time (a reused pid) — and the next writer takes it over. A lock from another host cannot be
 * checked from here: it means "running elsewhere".
 *
 * The lock is liveness, not data: archives leave it out, sync carries it.
 */
export interface LockFile {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22), to tell a reused pid. */
  proc_start?: number;
  /** What holds it, in words, e.g. "expman train --resume …". */
  command: string;
}

export const LOCK_FILE_NAME = 'lock.json';
export const lockFile = (dir: string, name = LOCK_FILE_NAME): string => join(dir, name);
/**
 * The same kind of lock for this machine's follower of a run executing elsewhere (ssh.ts, slurm.ts through a
 * login node): the one process that appends the remote metrics.jsonl to the local copy and brings the folder
 * home. Two followers would append the same lines twice.
 */
export const FOLLOW_LOCK_NAME = 'follow.json';

/** Whether a lock's holder is running here, elsewhere (another host: cannot be checked), or nowhere (stale). */
export type Liveness = 'here' | 'elsewhere' | null;

/** A lock file that does not parse is one being written (link makes that rare) or damaged: after this long it is stale. */
const UNREADABLE_GRACE_MS = 5_000;

/** State (field 3) and start time (field 22) of /proc/<pid>/stat; undefined without procfs (macOS) or process. */
function procStat(pid: number): { state: string; start: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isFinite(start) ? { state: fields[0] ?? '', start } : undefined;
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat start time, or undefined where there is no procfs (macOS) or no such process. */
export function procStartTime(pid: number): number | undefined {
  return procStat(pid)?.start;
}

/** Whether the process `pid` on this host is alive and, when `procStart` is known, is the same process. */
export function processMatches(pid: number, procStart?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  // A zombie (killed, not yet reaped by its parent — or by a container's init that never reaps) is dead.
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return false;
  if (procStart === undefined || stat === undefined) return true;
  return stat.start === procStart;
}

export function lockLiveness(lock: LockFile | null): Liveness {
  if (!lock) return null;
  if (lock.host !== hostname()) return 'elsewhere';
  return processMatches(lock.pid, lock.proc_start) ? 'here' : null;
}

function parseLock(text: string): LockFile | null {
  try {
    const value = JSON.parse(text) as Partial<LockFile>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.started === 'string') {
      return { command: '', ...value } as LockFile;
    }
  } catch {
    // fall through
  }
  return null;
}

/** The lock of a run folder, or null when there is none or it does not parse (readers never see a half-written one: see acquireRunLock). */
export function readLock(dir: string, name = LOCK_FILE_NAME): LockFile | null {
  try {
    return parseLock(readFileSync(lockFile(dir, name), 'utf8'));
  } catch {
    return null;
  }
}

/** The lock's holder when it is live (here or elsewhere), else null. */
export function liveLock(dir: string, name = LOCK_FILE_NAME): (LockFile & { live: 'here' | 'elsewhere' }) | null {
  const lock = readLock(dir, name);
  const live = lockLiveness(lock);
  return lock && live ? { ...lock, live } : null;
}

function describe(lock: LockFile): string {
  return `pid ${lock.pid} on ${lock.host}${lock.command ? ` (${lock.command})` : ''}, since ${lock.started}`;
}

export function lockedError(dir: string, lock: LockFile, what: string): ExpmanError {
  return new ExpmanError('RUN_LOCKED', `${what}: run ${dir} is in use by ${describe(lock)}`, { file: lockFile(dir), pid: lock.pid, host: lock.host });
}

export interface RunLock {
  readonly dir: string;
  readonly info: LockFile;
  /** Whether lock.json still names this holder (false when the run folder was removed or the lock taken). */
  held(): boolean;
  /** Removes the lock if it is still ours. Synchronous and idempotent: safe in an exit handler. */
  release(): void;
}

export interface AcquireOptions {
  /** What the lock is for, in words (shown to whoever is refused). */
  command: string;
  /** Told when a stale lock (dead or reused pid) was taken over. */
  onTakeover?: (stale: LockFile | null, reason: string) => void;
  /** How a refusal is worded: "cannot resume", … */
  refusal?: string;
  /** Another lock of the folder than the writer's lock.json (FOLLOW_LOCK_NAME). */
  name?: string;
}

const held = new Set<RunLock>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Covers process.exit() (a second Ctrl-C) and normal ends; an uncaught error also ends through 'exit'.
  process.on('exit', () => {
    for (const lock of [...held]) lock.release();
  });
}

function sameLock(a: LockFile | null, b: LockFile): boolean {
  return a !== null && a.pid === b.pid && a.host === b.host && a.started === b.started;
}

/**
 * Takes the lock of run folder `dir` (which must exist). The content is written to a temporary file and
 * hard-linked into place: link is atomic and fails when lock.json exists (O_EXCL semantics), and readers
 * never see a half-written lock. A stale lock is moved aside and taken over; a live one refuses with
 * RUN_LOCKED naming its holder.
 */
export function acquireRunLock(dir: string, options: AcquireOptions): RunLock {
  const info: LockFile = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: options.command };
  const procStart = procStartTime(process.pid);
  if (procStart !== undefined) info.proc_start = procStart;
  const file = lockFile(dir, options.name);
  const temp = join(dir, `${TEMP_PREFIX}lock-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { flag: 'wx' });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(temp, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw error;
      }
      const existing = parseLock(text);
      let reason: string;
      if (existing === null) {
        const age = Date.now() - statSync(file).mtimeMs;
        if (age < UNREADABLE_GRACE_MS) throw new ExpmanError('RUN_LOCKED', `${options.refusal ?? 'cannot write'}: run ${dir} is being locked by another process`, { file });
        reason = 'unreadable lock file';
      } else {
        if (lockLiveness(existing) !== null) throw lockedError(dir, existing, options.refusal ?? 'cannot write');
        reason = processMatches(existing.pid) ? `pid ${existing.pid} was reused by another process` : `pid ${existing.pid} is not running`;
      }
      // Move the stale lock aside, then check that what was moved is what was judged stale: another
      // process may have taken it over in between, and its live lock must go back.
      const aside = join(dir, `${TEMP_PREFIX}stale-lock-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        renameSync(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      let moved: LockFile | null = null;
      try {
        moved = parseLock(readFileSync(aside, 'utf8'));
      } catch {
        moved = null;
      }
      if (existing !== null && !sameLock(moved, existing)) {
        try {
          linkSync(aside, file);
        } catch {
          // someone else holds it now; either way, we do not
        }
        unlinkSync(aside);
        throw new ExpmanError('RUN_LOCKED', `${options.refusal ?? 'cannot write'}: run ${dir} was just locked by another process`, { file });
      }
      unlinkSync(aside);
      options.onTakeover?.(existing, reason);
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone (the run folder was removed)
    }
  }
  let released = false;
  const lock: RunLock = {
    dir,
    info,
    held: () => {
      try {
        return !released && sameLock(parseLock(readFileSync(file, 'utf8')), info);
      } catch {
        return false;
      }
    },
    release: () => {
      if (released) return;
      released = true;
      held.delete(lock);
      try {
        if (sameLock(parseLock(readFileSync(file, 'utf8')), info)) unlinkSync(file);
      } catch {
        // the lock (or the whole run folder) is gone already
      }
    },
  };
  held.add(lock);
  installExitHandler();
  return lock;
}

/** Words for a takeover, for the run's log. */
export function takeoverMessage(stale: LockFile | null, reason: string): string {
  return stale ? `took over the stale lock of ${describe(stale)}: ${reason}` : `replaced an ${reason}`;
}
