import { spawn, type ChildProcess } from 'node:child_process';

export interface RsyncRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 20,000 characters of stderr. */
  stderr: string;
}

export interface RunRsyncOptions {
  signal?: AbortSignal;
  /** Each stdout line (split on CR and LF: progress lines end in CR). */
  onLine?: (line: string) => void;
}

/** How long rsync gets to clean up after SIGTERM (move its partial file aside) before SIGKILL. */
const GRACE_SECONDS = 5;

/**
 * The watchdog: a shell that blocks reading a pipe whose only writer is this process. When this process
 * ends in any way — SIGKILL included, which no handler sees — the kernel closes the pipe, `read` returns,
 * and the watchdog ends rsync's whole process group (rsync, its forked receiver, ssh): SIGTERM first so
 * rsync moves its partial file aside and removes its temporary file, SIGKILL after a grace period.
 * `prctl(PR_SET_PDEATHSIG)` would do this on Linux only and is not reachable from Node.
 */
const WATCHDOG = `read _ignored; kill -TERM -"$1" 2>/dev/null || exit 0; sleep ${GRACE_SECONDS}; kill -KILL -"$1" 2>/dev/null; exit 0`;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // The negative pid addresses the process group; on Windows there are no groups: the child alone.
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Runs rsync (argument array, no shell) so that it never outlives expman. rsync starts in its own
 * process group, so a terminal's Ctrl-C reaches only expman, which then stops the group in order
 * (SIGTERM, SIGKILL after GRACE_SECONDS); and a watchdog ends the group if expman itself dies without
 * a chance to (SIGKILL, a crash). Without this an rsync orphan kept writing into DEST.
 */
export async function runRsync(rsync: string, args: readonly string[], options: RunRsyncOptions = {}): Promise<RsyncRun> {
  const posix = process.platform !== 'win32';
  return new Promise<RsyncRun>((resolve, reject) => {
    // LC_ALL=C: rsync's and ssh's messages and number formats as parsed here.
    const child = spawn(rsync, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, detached: posix });
    let watchdog: ChildProcess | undefined;
    if (posix && child.pid !== undefined) {
      // Detached as well: its own group, so Ctrl-C in the terminal does not end it before it is needed.
      watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'expman-rsync-watchdog', String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      watchdog.on('error', () => undefined); // no /bin/sh: rsync still runs, only without the watchdog
      watchdog.stdin?.on('error', () => undefined);
      watchdog.unref();
    }
    let killTimer: NodeJS.Timeout | undefined;
    const abort = () => {
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), GRACE_SECONDS * 1000);
      killTimer.unref();
    };
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });

    let stderr = '';
    let tail = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (tail + chunk).split(/[\r\n]/);
      tail = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) options.onLine?.(line);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    const finish = () => {
      options.signal?.removeEventListener('abort', abort);
      if (killTimer) clearTimeout(killTimer);
      // rsync has ended on its own: the watchdog must not signal a group id that may be reused.
      watchdog?.kill('SIGKILL');
      watchdog?.stdin?.destroy();
    };
    child.once('error', (error) => {
      finish();
      reject(error);
    });
    child.once('close', (code, signal) => {
      finish();
      if (tail.trim()) options.onLine?.(tail);
      resolve({ code, signal, stderr });
    });
  });
}
