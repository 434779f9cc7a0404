import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Runs user-supplied regular expressions off the main thread, with a time budget.
 *
 * JavaScript regexes backtrack: a pattern like `(.|.)*\u0001` takes exponential time on an ordinary
 * line, and a RegExp cannot be interrupted. On the thread that serves every client (and handles
 * SIGINT/SIGTERM) that would freeze the server for good, so matching happens in worker threads that are
 * terminated when they overrun their budget. There is no linear-time engine in our dependencies.
 *
 * The worker is a tiny inline script (not a separate entry file) so it works unchanged from the CLI
 * bundle, the Electron main bundle and the tests.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ source, flags, text, lines }) => {
  const regex = new RegExp(source, flags);
  const pieces = text.split('\\n');
  const matches = [];
  for (const k of lines) {
    const line = pieces[k] ?? '';
    if (regex.test(line.endsWith('\\r') ? line.slice(0, -1) : line)) matches.push(k);
  }
  parentPort.postMessage(matches);
});
`;

/** A regex that ran past its budget; the caller turns it into an error that names the file and lines. */
export class RegexTimeoutError extends Error {
  constructor(readonly budgetMs: number) {
    super(`regular expression ran longer than ${budgetMs} ms`);
    this.name = 'RegexTimeoutError';
  }
}

export interface RegexPoolOptions {
  /** How long one `match` call may run (default 5 s: a 4 MiB chunk takes well under 0.1 s with a sane pattern). */
  budgetMs?: number;
  /** Workers matching at the same time; further calls wait (default: cores - 1, 1 to 4). */
  maxBusy?: number;
  /** Idle workers kept for the next search (starting one costs ~30 ms). */
  maxIdle?: number;
}

export class RegexPool {
  private idle: Worker[] = [];
  private busy = 0;
  private waiting: (() => void)[] = [];
  private readonly budgetMs: number;
  private readonly maxBusy: number;
  private readonly maxIdle: number;

  constructor(options: RegexPoolOptions = {}) {
    this.budgetMs = options.budgetMs ?? 5_000;
    this.maxBusy = options.maxBusy ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.maxIdle = options.maxIdle ?? 2;
  }

  /**
   * Which of the `\n`-separated lines of `text` with the given indices `regex` matches (a trailing `\r`
   * is ignored). Rejects with RegexTimeoutError when the budget runs out; the worker is then killed.
   */
  async match(regex: RegExp, text: string, lines: readonly number[]): Promise<number[]> {
    if (lines.length === 0) return [];
    while (this.busy >= this.maxBusy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy++;
    const worker = this.idle.pop() ?? this.spawn();
    try {
      const matches = await new Promise<number[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          void worker.terminate();
          reject(new RegexTimeoutError(this.budgetMs));
        }, this.budgetMs);
        const onMessage = (matches: number[]): void => {
          cleanup();
          resolve(matches);
        };
        const onError = (error: unknown): void => {
          cleanup();
          void worker.terminate();
          reject(error instanceof Error ? error : new Error(String(error)));
        };
        const onExit = (code: number): void => onError(new Error(`regex worker exited with code ${code}`));
        const cleanup = (): void => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        worker.postMessage({ source: regex.source, flags: regex.flags.replace('g', '').replace('y', ''), text, lines });
      });
      if (this.idle.length < this.maxIdle) this.idle.push(worker);
      else void worker.terminate();
      return matches;
    } finally {
      this.busy--;
      this.waiting.shift()?.();
    }
  }

  /** Ends the idle workers (busy ones end with their call). */
  close(): void {
    for (const worker of this.idle.splice(0)) void worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.once('exit', () => {
      const at = this.idle.indexOf(worker);
      if (at !== -1) this.idle.splice(at, 1);
    });
    // An idle worker must not keep the process alive (a running match is kept alive by its timer).
    worker.unref();
    return worker;
  }
}

/** The process's pool: every log search shares its workers. */
let shared: RegexPool | undefined;
export function sharedRegexPool(): RegexPool {
  return (shared ??= new RegexPool());
}
