import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import { cancelledError } from '../cancel.js';
import { ExpmanError } from '../errors.js';
import { findOnPath } from '../find-on-path.js';
import type { ProgressListener } from '../progress.js';
import { describeLocation, parseLocation, type SyncLocation } from './location.js';
import { rsyncArgs, type SshOptions } from './rsync-args.js';
import { rsyncFailure } from './rsync-errors.js';
import { parseItemLine, parseProgressLine, parseStats, type SyncItem, type SyncSummary } from './rsync-output.js';

export interface SyncOptions {
  dataDir: string;
  /** Push the data folder to `to`, or pull `from` into it: a local path or `[user@]host:path`. */
  to?: string;
  from?: string;
  dryRun?: boolean;
  /** Delete files on the receiving side that the sending side does not have (never `.tmp-*`). */
  delete?: boolean;
  excludeCheckpoints?: boolean;
  /** KiB per second. */
  bwlimit?: number;
  ssh?: SshOptions;
  signal?: AbortSignal;
  /** Bytes transferred of the estimated total (rsync --info=progress2). */
  onProgress?: ProgressListener;
  /** Each change as rsync reports it (with dryRun: what would change). */
  onItem?: (item: SyncItem) => void;
  /** The rsync executable; default: `rsync` on PATH. */
  rsync?: string;
}

export interface SyncResult {
  direction: 'push' | 'pull';
  source: string;
  destination: string;
  dryRun: boolean;
  items: SyncItem[];
  summary: SyncSummary;
  seconds: number;
  /** The exact rsync command line, for the log and for troubleshooting. */
  command: string[];
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Plans the transfer: which side is which, checked before rsync starts. */
export function planSync(options: Pick<SyncOptions, 'dataDir' | 'to' | 'from'>): { direction: 'push' | 'pull'; data: SyncLocation; other: SyncLocation } {
  if (Boolean(options.to) === Boolean(options.from)) {
    throw new ExpmanError('USAGE', options.to ? 'give either a destination or --from SRC, not both' : 'give a destination (expman sync DEST) or a source (expman sync --from SRC)');
  }
  const data: SyncLocation = { kind: 'local', path: resolve(options.dataDir) };
  const other = parseLocation((options.to ?? options.from)!);
  if (other.kind === 'local' && (inside(data.path, other.path) || inside(other.path, data.path))) {
    throw new ExpmanError('USAGE', `${other.path}: cannot sync the data folder ${data.path} with a folder inside or around it`, { key: 'location' });
  }
  return { direction: options.to ? 'push' : 'pull', data, other };
}

/**
 * Runs the system rsync (argument array, no shell) to push the data folder to a location or pull one into
 * it, streaming progress and the itemized changes. Cancelling the signal stops rsync; a re-run resumes
 * (--partial) and a run with nothing new transfers nothing.
 */
export async function syncData(options: SyncOptions): Promise<SyncResult> {
  const started = Date.now();
  const { direction, data, other } = planSync(options);
  const rsync = options.rsync ?? findOnPath('rsync');
  if (!rsync) throw new ExpmanError('RSYNC_MISSING', 'rsync is not installed: install it (apt install rsync, brew install rsync, or MSYS2/cwRsync on Windows)');

  if (direction === 'push') {
    const stat = await fs.stat(data.path).catch(() => null);
    if (!stat?.isDirectory()) throw new ExpmanError('DATA_DIR', `${data.path}: data folder not found (give --data DIR or set $DATA)`, { file: data.path });
    if (other.kind === 'local' && !options.dryRun) await fs.mkdir(other.path, { recursive: true });
  } else if (!options.dryRun) {
    await fs.mkdir(data.path, { recursive: true });
  }
  if (options.signal?.aborted) throw cancelledError('sync');

  const source = direction === 'push' ? data : other;
  const destination = direction === 'push' ? other : data;
  const args = rsyncArgs({ source, destination, dryRun: options.dryRun, delete: options.delete, excludeCheckpoints: options.excludeCheckpoints, bwlimit: options.bwlimit, ssh: options.ssh });
  const items: SyncItem[] = [];
  let stdoutTail = '';
  let stats = '';
  let stderr = '';

  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise, reject) => {
    // LC_ALL=C: rsync's and ssh's messages and number formats as parsed here.
    const child = spawn(rsync, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (stdoutTail + chunk).split(/[\r\n]/);
      stdoutTail = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        const progress = parseProgressLine(line);
        if (progress) {
          const total = progress.percent > 0 ? Math.max(progress.bytes, Math.round((progress.bytes * 100) / progress.percent)) : progress.bytes;
          options.onProgress?.({ phase: options.dryRun ? 'checking' : 'syncing', done: progress.bytes, total, unit: 'bytes' });
          continue;
        }
        const item = parseItemLine(line);
        if (item) {
          items.push(item);
          options.onItem?.(item);
        } else {
          stats += `${line}\n`;
        }
      }
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(new ExpmanError('RSYNC_MISSING', `could not start ${rsync}: ${error.message}`, { file: rsync }));
    });
    child.once('close', (exitCode, exitSignal) => {
      options.signal?.removeEventListener('abort', abort);
      resolvePromise({ code: exitCode, signal: exitSignal });
    });
  });
  stats += stdoutTail;

  if (options.signal?.aborted) throw cancelledError(`sync with ${describeLocation(other)}`);
  if (code !== 0) {
    if (signal) throw new ExpmanError('SYNC_FAILED', `rsync was stopped by ${signal}`, { stderr: stderr.split('\n').slice(-10) });
    throw rsyncFailure(code, stderr, other);
  }
  return {
    direction,
    source: describeLocation(source),
    destination: describeLocation(destination),
    dryRun: Boolean(options.dryRun),
    items,
    summary: parseStats(stats),
    seconds: (Date.now() - started) / 1000,
    command: [rsync, ...args],
  };
}
