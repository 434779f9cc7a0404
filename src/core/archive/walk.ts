import { lstatSync, promises as fs, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isTempName } from '../fs/atomic.js';
import { FOLLOW_LOCK_NAME } from '../runs/lock.js';
import { ExpmanError } from '../errors.js';
import { unsafeLinkReason } from './entry-safety.js';
import { MANIFEST_NAME, type SkippedEntry } from './manifest.js';

/**
 * What the archive keeps of an entry's lstat: a whole fs.Stats is ~1 KiB of heap (18 MiB for the 19,000
 * entries of a 1 GiB data folder), these five numbers a tenth of that.
 */
export interface EntryStat {
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

export function entryStat(stat: Stats): EntryStat {
  return { size: stat.size, mode: stat.mode, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs };
}

export interface WalkEntry {
  /** Path relative to the data folder, '/'-separated, as it is stored in the archive. */
  path: string;
  type: 'Directory' | 'File' | 'SymbolicLink';
  stat: EntryStat;
  /** For links: the target exactly as readlink returns it. */
  target?: string;
}

export interface WalkOptions {
  excludeCheckpoints?: boolean;
  /** Subtrees to archive instead of the whole folder, e.g. ["experiments/e1"]. */
  only?: string[];
  /** Absolute paths never to include (the archive being written, when it lies inside the folder). */
  exclude?: string[];
}

export interface WalkResult {
  entries: WalkEntry[];
  skipped: SkippedEntry[];
  /** Bytes of regular-file content, for progress. */
  totalBytes: number;
}

/** `--only` paths must name something inside the data folder. */
export function normalizeOnly(root: string, only: string): string {
  const cleaned = only.replace(/\\/g, '/').replace(/\/+$/, '');
  const absolute = resolve(root, cleaned);
  const rel = relative(root, absolute);
  if (!cleaned || isAbsolute(cleaned) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ExpmanError('USAGE', `--only ${JSON.stringify(only)}: expected a path inside the data folder such as experiments/<exp>`, { key: 'only' });
  }
  return rel.split(sep).join('/');
}

/**
 * A run's lock file (`<run>/lock.json`) says which process is writing the run, and `follow.json` which
 * process mirrors a run executing on a target: liveness, not data.
 */
export const RUN_LOCK_NAME = 'lock.json';
const LIVENESS_FILES: ReadonlySet<string> = new Set([RUN_LOCK_NAME, FOLLOW_LOCK_NAME]);

function isRunFolder(rel: string): boolean {
  const parts = rel.split('/');
  return parts.length === 4 && parts[0] === 'experiments' && parts[2] === 'models';
}

/**
 * Lists what goes into an archive, depth first in sorted order (with synchronous calls: one lstat per
 * entry, where a promise each cost several times the call; see create.ts): temporaries (`.tmp-*`, a checkpoint
 * being written) and run locks are skipped, links are never followed, and links leaving the folder are recorded as skipped
 * (a restore would have to refuse them).
 */
export async function walkDataFolder(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const entries: WalkEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const excluded = new Set((options.exclude ?? []).map((p) => resolve(p)));
  let totalBytes = 0;

  const visit = async (rel: string, stat: Stats): Promise<void> => {
    const absolute = join(root, rel);
    if (excluded.has(absolute)) return;
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(absolute);
      // The rule restore applies, so expman never writes an archive that its own restore refuses.
      const reason = unsafeLinkReason(rel, target, (path) => lstatSync(join(root, path), { throwIfNoEntry: false })?.isSymbolicLink() ?? false);
      if (!reason) entries.push({ path: rel, type: 'SymbolicLink', stat: entryStat(stat), target });
      else skipped.push({ path: rel, reason: reason.replace(/^link/, 'symbolic link').replace('points outside the folder', 'points outside the data folder') });
    } else if (stat.isFile()) {
      entries.push({ path: rel, type: 'File', stat: entryStat(stat) });
      totalBytes += stat.size;
    } else if (stat.isDirectory()) {
      entries.push({ path: rel, type: 'Directory', stat: entryStat(stat) });
      await visitChildren(rel);
    } else {
      skipped.push({ path: rel, reason: 'not a regular file, folder or link' });
    }
  };

  const visitChildren = async (rel: string): Promise<void> => {
    const dir = rel ? join(root, rel) : root;
    const names = readdirSync(dir).sort();
    for (const name of names) {
      if (isTempName(name)) continue;
      if (!rel && name === MANIFEST_NAME) continue; // a previous archive's manifest, extracted by GNU tar
      if (options.excludeCheckpoints && name === 'checkpoints') continue;
      // Restored elsewhere, a lock would claim a run for a process that does not exist there.
      if (LIVENESS_FILES.has(name) && isRunFolder(rel)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      let stat: Stats;
      try {
        stat = lstatSync(join(root, childRel));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since readdir (a replaced checkpoint)
        throw error;
      }
      await visit(childRel, stat);
    }
  };

  let rootStat: Stats;
  try {
    rootStat = await fs.stat(root);
  } catch {
    throw new ExpmanError('DATA_DIR', `${root}: data folder not found (give --data DIR or set $DATA)`, { file: root });
  }
  if (!rootStat.isDirectory()) throw new ExpmanError('DATA_DIR', `${root}: not a folder`, { file: root });

  if (!options.only?.length) {
    await visitChildren('');
  } else {
    const seen = new Set<string>();
    const wanted = [...new Set(options.only.map((o) => normalizeOnly(root, o)))].sort();
    // "experiments" already holds "experiments/e1": keep only the outermost of nested subtrees.
    const outermost = wanted.filter((p) => !wanted.some((q) => q !== p && p.startsWith(`${q}/`)));
    for (const only of outermost) {
      // The parent folders come first so GNU tar recreates them with their modes.
      const parts = only.split('/');
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join('/');
        if (seen.has(parent)) continue;
        seen.add(parent);
        entries.push({ path: parent, type: 'Directory', stat: entryStat(await fs.lstat(join(root, parent))) });
      }
      let stat: Stats;
      try {
        stat = await fs.lstat(join(root, only));
      } catch {
        throw new ExpmanError('USAGE', `--only ${only}: not found in ${root}`, { key: 'only', file: join(root, only) });
      }
      seen.add(only);
      await visit(only, stat);
    }
  }
  return { entries, skipped, totalBytes };
}
