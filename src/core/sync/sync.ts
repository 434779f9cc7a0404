import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { cancelledError } from '../cancel.js';
import { ExpmanError } from '../errors.js';
import { isTempName } from '../fs/atomic.js';
import { findOnPath } from '../find-on-path.js';
import type { ProgressListener } from '../../shared/progress.js';
import { describeLocation, parseLocation, type SyncLocation } from './location.js';
import { findLiveRunFolders, protectRules, type ProtectedRun } from './live-runs.js';
import { rsyncArgs, runStateArgs, type SshOptions } from './rsync-args.js';
import { rsyncFailure } from './rsync-errors.js';
import { runRsync } from './rsync-process.js';
import { parseItemLine, parseProgressLine, parseStats, type SyncItem, type SyncSummary } from './rsync-output.js';
import { createTempDir, removeTempDir } from './temp-dir.js';

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
  /** Live run folders on the receiving side, left untouched (never overwritten, never deleted). */
  protectedRuns: ProtectedRun[];
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
 * --delete makes the receiving folder a copy of the sending one. Pointed at a folder that is not a data
 * folder (a typo: the home folder, a wrong --data) it would delete everything there, so that is refused:
 * the receiving folder must be absent, empty, or hold experiments/ or datasets/.
 */
async function refuseDeleteIntoForeignFolder(path: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(path);
  } catch {
    return; // absent (created empty), or unreadable: rsync reports that
  }
  const own = names.filter((name) => !isTempName(name));
  if (own.length === 0 || names.includes('experiments') || names.includes('datasets')) return;
  throw new ExpmanError(
    'FORBIDDEN',
    `${path}: refusing --delete into a folder that is not a data folder (no experiments/ or datasets/): it would delete what is there (${own.slice(0, 3).join(', ')}${own.length > 3 ? ', …' : ''}); sync into a new or empty folder or a data folder`,
    { file: path, key: 'delete' },
  );
}

/** mkdir for a local sync folder, with the reasons it fails said in one line (not an internal error). */
async function ensureFolder(path: string, role: string): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ExpmanError('SYNC_FAILED', `${path}: the ${role} is a file (or lies under one), not a folder`, { file: path });
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new ExpmanError('SYNC_PERMISSION', `permission denied: cannot create the ${role} ${path} (${code})`, { file: path });
    }
    throw new ExpmanError('SYNC_FAILED', `cannot create the ${role} ${path} (${code})`, { file: path });
  }
}

/** Live run folders on the receiving side: read in place when local, else from their fetched state files. */
async function liveRunsAt(destination: SyncLocation, rsync: string, options: SyncOptions): Promise<ProtectedRun[]> {
  if (destination.kind === 'local') return findLiveRunFolders(destination.path, true);
  const into = await fs.mkdtemp(join(tmpdir(), 'expman-sync-state-'));
  try {
    const run = await runRsync(rsync, runStateArgs(destination, into, options.ssh), { signal: options.signal });
    if (options.signal?.aborted) throw cancelledError(`sync with ${describeLocation(destination)}`);
    // A receiving folder that does not exist yet holds no runs.
    const absent = run.code === 23 && /change_dir .* failed: No such file or directory|link_stat .* failed: No such file or directory/.test(run.stderr);
    if (run.code !== 0 && !absent) throw rsyncFailure(run.code, run.stderr, destination);
    return await findLiveRunFolders(into, false);
  } finally {
    await fs.rm(into, { recursive: true, force: true });
  }
}

/**
 * Runs the system rsync (argument array, no shell) to push the data folder to a location or pull one into
 * it, streaming progress and the itemized changes. Cancelling the signal stops rsync; a re-run resumes
 * (--partial-dir) and a run with nothing new transfers nothing. Run folders that are live on the
 * receiving side are left alone, --delete or not; rsync never outlives this process (rsync-process.ts).
 */
export async function syncData(options: SyncOptions): Promise<SyncResult> {
  const started = Date.now();
  const { direction, data, other } = planSync(options);
  const rsync = options.rsync ?? findOnPath('rsync');
  if (!rsync) throw new ExpmanError('RSYNC_MISSING', 'rsync is not installed: install it (apt install rsync, brew install rsync, or MSYS2/cwRsync on Windows)');
  const receiving = direction === 'push' ? other : data;
  if (options.delete && receiving.kind === 'local') await refuseDeleteIntoForeignFolder(receiving.path);

  if (direction === 'push') {
    const stat = await fs.stat(data.path).catch(() => null);
    if (!stat?.isDirectory()) throw new ExpmanError('DATA_DIR', `${data.path}: data folder not found (give --data DIR or set $DATA)`, { file: data.path });
    if (other.kind === 'local' && !options.dryRun) await ensureFolder(other.path, 'destination');
  } else if (!options.dryRun) {
    await ensureFolder(data.path, 'data folder');
  }
  if (options.signal?.aborted) throw cancelledError('sync');

  const source = direction === 'push' ? data : other;
  const destination = direction === 'push' ? other : data;
  const protectedRuns = await liveRunsAt(destination, rsync, options);
  const tempDir = destination.kind === 'local' && !options.dryRun ? await createTempDir(destination.path) : undefined;
  const args = rsyncArgs({
    source,
    destination,
    dryRun: options.dryRun,
    delete: options.delete,
    excludeCheckpoints: options.excludeCheckpoints,
    bwlimit: options.bwlimit,
    ssh: options.ssh,
    tempDir,
    filters: protectRules(protectedRuns),
  });
  const items: SyncItem[] = [];
  let stats = '';
  let run: Awaited<ReturnType<typeof runRsync>>;
  try {
    run = await runRsync(rsync, args, {
      signal: options.signal,
      onLine: (line) => {
        const progress = parseProgressLine(line);
        if (progress) {
          const total = progress.percent > 0 ? Math.max(progress.bytes, Math.round((progress.bytes * 100) / progress.percent)) : progress.bytes;
          options.onProgress?.({ phase: options.dryRun ? 'checking' : 'syncing', done: progress.bytes, total, unit: 'bytes' });
          return;
        }
        const item = parseItemLine(line);
        if (item) {
          items.push(item);
          options.onItem?.(item);
        } else {
          stats += `${line}\n`;
        }
      },
    });
  } catch (error) {
    throw new ExpmanError('RSYNC_MISSING', `could not start ${rsync}: ${(error as Error).message}`, { file: rsync });
  } finally {
    if (tempDir) await removeTempDir(tempDir);
  }
  const { code, signal, stderr } = run;

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
    protectedRuns,
  };
}
