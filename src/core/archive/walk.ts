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
  /**
   * For an atomic unit (best-model/, a checkpoint folder: written whole and replaced whole): every entry
   * inside it, listed before any is yielded, so all of its files can be opened before one is archived.
   */
  unit?: WalkEntry[];
}

export interface WalkOptions {
  excludeCheckpoints?: boolean;
  /** Subtrees to archive instead of the whole folder, e.g. ["experiments/e1"]. */
  only?: string[];
  /** Absolute paths never to include (the archive being written, when it lies inside the folder). */
  exclude?: string[];
  /** Receives what is left out and why (a link leaving the folder, a socket). */
  skipped?: SkippedEntry[];
}

/** Checkpoint folders and best-model/ are written atomically and replaced whole: archive all or none of one. */
export function isAtomicUnit(path: string): boolean {
  const parts = path.split('/');
  return parts.at(-1) === 'best-model' || parts.at(-2) === 'checkpoints';
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
 * The data folder exists and is a folder, and every `--only` subtree is in it: one clear error before
 * anything is listed or written.
 */
export async function checkDataFolder(root: string, only: string[] = []): Promise<void> {
  let rootStat: Stats;
  try {
    rootStat = await fs.stat(root);
  } catch {
    throw new ExpmanError('DATA_DIR', `${root}: data folder not found (give --data DIR or set $DATA)`, { file: root });
  }
  if (!rootStat.isDirectory()) throw new ExpmanError('DATA_DIR', `${root}: not a folder`, { file: root });
  for (const path of only.map((o) => normalizeOnly(root, o))) onlyStat(root, path);
}

/** An `--only` subtree's lstat, or the error naming it. */
function onlyStat(root: string, only: string): Stats {
  const stat = lstatSync(join(root, only), { throwIfNoEntry: false });
  if (!stat) throw new ExpmanError('USAGE', `--only ${only}: not found in ${root}`, { key: 'only', file: join(root, only) });
  return stat;
}

/**
 * Lists what goes into an archive, depth first in sorted order, one entry at a time: what is held is the
 * sorted names of the folders on the current path (and an atomic unit's entries), never the whole tree,
 * so memory does not grow with the number of files. Synchronous calls, one lstat per entry (a promise each
 * cost several times the call; see create.ts). Temporaries (`.tmp-*`, a checkpoint being written) and run
 * locks are skipped, links are never followed, and links leaving the folder are recorded as skipped (a
 * restore would have to refuse them). Call checkDataFolder first.
 */
export function* walkDataFolder(root: string, options: WalkOptions = {}): Generator<WalkEntry> {
  // Paths are built by concatenation, not path.join: the walk makes two per entry, and join's
  // normalisation was a tenth of the archive's CPU time on the 1 GiB bench folder. `rel` is always clean
  // (readdir names joined with '/', or a normalised --only).
  const prefix = root.endsWith(sep) ? root : root + sep;
  const at = (rel: string) => prefix + rel;
  const excluded = new Set((options.exclude ?? []).map((p) => relative(root, resolve(p)).split(sep).join('/')));
  const skip = (entry: SkippedEntry) => options.skipped?.push(entry);

  function* visit(rel: string, stat: Stats, inUnit = false): Generator<WalkEntry> {
    if (excluded.has(rel)) return;
    const absolute = at(rel);
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(absolute);
      // The rule restore applies, so expman never writes an archive that its own restore refuses.
      const reason = unsafeLinkReason(rel, target, (path) => lstatSync(at(path), { throwIfNoEntry: false })?.isSymbolicLink() ?? false);
      if (!reason) yield { path: rel, type: 'SymbolicLink', stat: entryStat(stat), target };
      else skip({ path: rel, reason: reason.replace(/^link/, 'symbolic link').replace('points outside the folder', 'points outside the data folder') });
    } else if (stat.isFile()) {
      yield { path: rel, type: 'File', stat: entryStat(stat) };
    } else if (stat.isDirectory()) {
      const entry: WalkEntry = { path: rel, type: 'Directory', stat: entryStat(stat) };
      if (!inUnit && isAtomicUnit(rel)) {
        entry.unit = [...visitChildren(rel, true)];
        yield entry;
      } else {
        yield entry;
        yield* visitChildren(rel, inUnit);
      }
    } else {
      skip({ path: rel, reason: 'not a regular file, folder or link' });
    }
  }

  function* visitChildren(rel: string, inUnit = false): Generator<WalkEntry> {
    const dir = rel ? at(rel) : root;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed since it was listed (a replaced checkpoint)
      throw error;
    }
    for (const name of names) {
      if (isTempName(name)) continue;
      if (!rel && name === MANIFEST_NAME) continue; // a previous archive's manifest, extracted by GNU tar
      if (options.excludeCheckpoints && name === 'checkpoints') continue;
      // Restored elsewhere, a lock would claim a run for a process that does not exist there.
      if (LIVENESS_FILES.has(name) && isRunFolder(rel)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(at(childRel), { throwIfNoEntry: false }); // gone since readdir: a replaced checkpoint
      if (stat) yield* visit(childRel, stat, inUnit);
    }
  }

  if (!options.only?.length) {
    yield* visitChildren('');
    return;
  }
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
      yield { path: parent, type: 'Directory', stat: entryStat(lstatSync(join(root, parent))) };
    }
    seen.add(only);
    yield* visit(only, onlyStat(root, only));
  }
}

/** Bytes of regular-file content the walk finds (for progress), and the first error it would throw. */
export function walkTotalBytes(root: string, options: WalkOptions = {}): number {
  let total = 0;
  const count = (entry: WalkEntry) => {
    if (entry.type === 'File') total += entry.stat.size;
    for (const inner of entry.unit ?? []) count(inner);
  };
  for (const entry of walkDataFolder(root, { ...options, skipped: undefined })) count(entry);
  return total;
}
