import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The program was not found (ENOENT) or could not be started. */
  spawnError?: string;
  timedOut: boolean;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill it (SIGKILL) after this long; default 30 s. A scheduler command must never hang a caller. */
  timeoutMs?: number;
  input?: string;
}

/**
 * Runs a short command (sbatch, squeue, scontrol, ssh …) as an argument array, without a shell, and
 * collects its output. Never rejects: a missing program or a timeout is in the result for the caller to
 * turn into its own one-line error.
 */
export function runCommand(program: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr, spawnError: error.message, timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last non-empty line a command printed to stderr (else stdout): the one that says why it failed. */
export function lastMessage(result: CommandResult): string {
  for (const text of [result.stderr, result.stdout]) {
    const line = text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
    if (line) return line;
  }
  if (result.spawnError) return result.spawnError;
  if (result.timedOut) return 'timed out';
  return result.signal ? `ended with ${result.signal}` : `exit code ${result.code}`;
}
