import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findOnPath } from '../find-on-path.js';
import { escalateStop } from '../runs/stop.js';

/** How many lines of stderr a failure reports (status.json `error.stderr_tail`, the UI, `expman list`). */
export const STDERR_TAIL_LINES = 20;

export interface CommandOptions {
  /** The resolved executable and its arguments. */
  file: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every line the command writes, as it comes. */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Aborting stops the command: SIGTERM to its process group, SIGKILL after `graceMs`. */
  signal?: AbortSignal;
  graceMs: number;
}

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the command ended because it was asked to stop (the signal was aborted). */
  stopped: boolean;
  stderrTail: string[];
}

/**
 * Runs a user's command as the child of this process, in its own process group (so a stop reaches every
 * process it started, e.g. data-loader workers), and reports its output line by line.
 *
 * On Linux the command is started through `setpriv --pdeathsig SIGKILL` when util-linux has it: the
 * command then dies with the process that supervises the run. Without it a `kill -9` of the worker would
 * leave the script training on, writing into a run that is resumed meanwhile. Elsewhere the pipes are the
 * fallback: a script that prints after its supervisor is gone gets EPIPE.
 */
export function runCommandProcess(options: CommandOptions): Promise<CommandExit> {
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv', options.env) : undefined;
  const [file, args] = setpriv ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', options.file, ...options.args]] : [options.file, [...options.args]];
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderrTail: string[] = [];
  const group = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const streamsDone = (['stdout', 'stderr'] as const).map(
    (stream) =>
      new Promise<void>((resolve) => {
        const lines = createInterface({ input: child[stream], crlfDelay: Infinity });
        lines.on('line', (line) => {
          if (stream === 'stderr') {
            stderrTail.push(line);
            if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
          }
          options.onLine(stream, line);
        });
        lines.on('close', resolve);
      }),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let stopped = false;
  let stopping: Promise<unknown> | undefined;
  const onAbort = (): void => {
    stopped = true;
    stopping = escalateStop({ stop: () => group('SIGTERM'), kill: () => group('SIGKILL'), ended: exited.catch(() => undefined) }, { graceMs: options.graceMs });
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  return (async () => {
    try {
      const exit = await exited;
      // What the command left running in its group (a background helper) ends with the run; it may also
      // hold the pipes open, so their end is awaited only briefly.
      group('SIGKILL');
      // The bound's timer is cleared: left pending, it would keep the worker alive 2 s after the run ended.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(streamsDone), new Promise((resolve) => (bound = setTimeout(resolve, 2000)))]).finally(() => clearTimeout(bound));
      await stopping;
      return { ...exit, stopped, stderrTail };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  })();
}
