import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../version.js';
import type { RunEvent } from './events.js';

/**
 * Runs training in a plain Node.js child process — the `expman train --json` CLI — and streams its
 * events. The process that drives a UI never loads tfjs or native backends itself (Electron's memory
 * cage rejects native addons' buffers, and a crash in training must not take the UI down).
 */
export interface WorkerOptions {
  /** CLI arguments after `expman`, e.g. ['train', '--data', dir, '--set', 'training.epochs=5']; --json is added. */
  args: string[];
  /** Node.js binary; default: this process's own when it is plain Node. */
  node?: string;
  /** Extra environment; merged over the allow-listed part of process.env. */
  env?: Record<string, string>;
  cwd?: string;
  onEvent?: (event: RunEvent) => void;
  /** stderr lines and non-JSON stdout lines, in order. */
  onLog?: (line: string) => void;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The final error event the CLI printed, if it failed with one. */
  error?: { code: string; message: string };
  /** The last lines the process wrote to stderr (at most STDERR_TAIL_LINES): a crash's trace. */
  stderrTail: string[];
}

/** How many stderr lines a failure report keeps. */
export const STDERR_TAIL_LINES = 20;

export interface WorkerHandle {
  pid: number;
  /** Asks the run to stop after the current batch (SIGTERM); it ends as `stopped` and can be resumed. */
  stop(): void;
  /** Ends the process at once (SIGKILL); the run keeps its logs and last complete checkpoint. */
  kill(): void;
  /** Always resolves, once, when the process has exited. */
  exited: Promise<WorkerExit>;
}

/**
 * Variables a training worker may inherit; everything else (tokens, secrets) stays behind. The Python
 * ones are for command runs, whose script the worker starts with its own environment (a virtualenv or
 * conda environment the app was started in, extra module folders).
 */
export const ENV_ALLOW_LIST = ['EXPMAN_LOG_DIR', 'PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'DATA', 'CUDA_VISIBLE_DEVICES', 'LD_LIBRARY_PATH', 'VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'SystemRoot', 'PYTHONPATH', 'VIRTUAL_ENV', 'CONDA_PREFIX', 'OMP_NUM_THREADS'];

export function workerEnv(extra: Record<string, string> = {}, source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOW_LIST) {
    const value = source[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

export function cliEntry(): string {
  return join(packageRoot(), 'out', 'cli', 'expman.mjs');
}

export function startWorker(options: WorkerOptions): WorkerHandle {
  const args = [cliEntry(), ...options.args, '--json'];
  const child = spawn(options.node ?? process.execPath, args, {
    cwd: options.cwd,
    env: workerEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own session and process group: a Ctrl-C at the server's terminal, or the server's death, does
    // not reach it. The run outlives the process that launched it (which is only there for signalling and
    // the fast event path) and goes on writing its folder; a later server finds it through its lock.
    detached: true,
  });
  let error: WorkerExit['error'];
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    if (!line.startsWith('{')) {
      options.onLog?.(line);
      return;
    }
    try {
      const parsed = JSON.parse(line) as RunEvent | { event: 'error'; code: string; message: string };
      if (parsed.event === 'error') error = { code: parsed.code, message: parsed.message };
      else options.onEvent?.(parsed);
    } catch {
      options.onLog?.(line);
    }
  });
  const stderr = createInterface({ input: child.stderr });
  const stderrTail: string[] = [];
  stderr.on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    options.onLog?.(line);
  });
  const streamsClosed = Promise.all([new Promise((r) => stdout.once('close', r)), new Promise((r) => stderr.once('close', r))]);
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, error: { code: 'SPAWN_FAILED', message: e.message }, stderrTail }));
    child.once('exit', (code, signal) => {
      void streamsClosed.then(() => resolve({ code, signal, ...(error ? { error } : {}), stderrTail }));
    });
  });
  // Signals go to the child only while it has not been reaped (child.kill checks), so a reused pid is safe.
  return {
    pid: child.pid ?? -1,
    stop: () => void child.kill('SIGTERM'),
    kill: () => void child.kill('SIGKILL'),
    exited,
  };
}
