import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, fsyncSync, futimesSync, lstatSync, openSync, promises as fs, realpathSync, renameSync, utimesSync, writeSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExpmanError, isExpmanError } from '../errors.js';
import { TEMP_PREFIX } from '../fs/atomic.js';
import type { ProgressListener } from '../../shared/progress.js';
import { cancelledError, throwIfCancelled } from '../cancel.js';
import { FILE_TYPES, parentsOf, unsafeLinkReason } from './entry-safety.js';
import { MANIFEST_NAME, type Manifest } from './manifest.js';
import type { ArchiveEntry } from './read-archive.js';
import { ownedTempName, releaseTempName, staleTemps } from './stale-temps.js';
import { archiveProblems, scanArchive } from './verify.js';

export interface RestoreOptions {
  /** Overwrite files that already exist in the target folder (they are kept until the restore has succeeded). */
  force?: boolean;
  /** Keep setuid/setgid bits from the archive; by default they are cleared (an archive is not a package). */
  preservePermissions?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface RestoreResult {
  into: string;
  files: number;
  links: number;
  bytes: number;
  /** Existing files replaced (only with force). */
  overwritten: number;
  manifest: Manifest;
  seconds: number;
}

const LIST_AT_MOST = 5;
const RESTORE_TEMP = 'restore';
const JOURNAL = 'journal.json';

function listed(items: string[]): string {
  return items.slice(0, LIST_AT_MOST).join('; ') + (items.length > LIST_AT_MOST ? `; and ${items.length - LIST_AT_MOST} more` : '');
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function errnoOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '')}` : String(error);
}

function writeError(path: string, error: unknown): ExpmanError {
  if (isExpmanError(error)) return error;
  return new ExpmanError('NOT_WRITABLE', `${path}: cannot restore (${errnoOf(error)}); nothing was changed`, { file: path, errno: (error as NodeJS.ErrnoException).code });
}

/** Runs a step whose failure changes nothing that matters (a folder's mtime). */
function attemptSync(work: () => void): void {
  try {
    work();
  } catch {
    // ignored on purpose
  }
}

/** step's synchronous twin. */
function stepSync<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw writeError(path, error);
  }
}

/** Runs one file-system step of the restore; its failure becomes a one-line error naming the path (ENOSPC, EROFS, …). */
async function step<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw writeError(path, error);
  }
}

/**
 * One placed entry. `temp` is what the commit renames to `final`: the staged file itself when its folder is
 * on the staging folder's file system, else a copy (or a link) made beside `final` (so the final rename
 * never crosses file systems); `backup` receives the file that `--force` replaces until the restore has
 * succeeded.
 */
interface Placement {
  final: string;
  temp: string;
  backup?: string;
  /** Identity of the placed temp, so a rollback removes only what the restore put there. */
  dev?: number;
  ino?: number;
}

/**
 * What a restore has done to DIR, on disk in its staging folder: enough to undo it after a SIGKILL too.
 * On disk: `{"createdDirs": [...], "placements": [...]}`. In memory the placements are computed from the
 * entry's index when needed (see RestorePlan), not kept as one object and three path strings per file.
 */
interface Journal {
  createdDirs: string[];
  placements: Placement[];
}

/** The journal as a restore in progress holds it: placement `k` of `count`, made on demand. */
interface JournalView {
  createdDirs: () => Iterable<string>;
  count: number;
  placement: (k: number) => Placement;
}

/**
 * Writes the journal atomically (temporary, fsync, rename), in pieces: one JSON.stringify of 12,000
 * placements was a 3 MiB string, made twice per restore.
 */
function writeJournal(staging: string, journal: JournalView): void {
  const target = join(staging, JOURNAL);
  const temp = `${target}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    let text = '{"createdDirs":[';
    const flush = (force: boolean) => {
      if (!force && text.length < 1 << 16) return;
      writeSync(fd, text);
      text = '';
    };
    let first = true;
    for (const dir of journal.createdDirs()) {
      text += (first ? '' : ',') + JSON.stringify(dir);
      first = false;
      flush(false);
    }
    text += '],"placements":[';
    for (let k = 0; k < journal.count; k++) {
      text += (k ? ',' : '') + JSON.stringify(journal.placement(k));
      flush(false);
    }
    text += ']}';
    flush(true);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
}

/** Undoes a restore: puts replaced files back, removes placed files and temporaries, then the folders it created. */
async function rollBack(journal: JournalView): Promise<void> {
  for (let k = journal.count - 1; k >= 0; k--) {
    const p = journal.placement(k);
    const final = lstatOrNull(p.final);
    const placed = final !== null && p.ino !== undefined && final.ino === p.ino && final.dev === p.dev;
    if (p.backup && lstatOrNull(p.backup)) {
      if (placed || !final) await fs.rename(p.backup, p.final).catch(() => undefined);
    } else if (placed) {
      await fs.unlink(p.final).catch(() => undefined);
    }
    await fs.rm(p.temp, { force: true }).catch(() => undefined);
  }
  for (const dir of [...journal.createdDirs()].reverse()) await fs.rmdir(dir).catch(() => undefined);
}

/** Rolls back and removes what restores killed mid-way (their pid is gone) left in DIR. */
async function cleanStaleRestores(into: string): Promise<void> {
  const stale = await staleTemps(into, RESTORE_TEMP);
  // Roll back first: a journal may name set-aside files that are themselves stale temporaries in DIR.
  for (const staging of stale) {
    const text = await fs.readFile(join(staging, JOURNAL), 'utf8').catch(() => undefined);
    let journal: Journal | undefined;
    try {
      journal = text === undefined ? undefined : (JSON.parse(text) as Journal);
    } catch {
      journal = undefined; // written atomically, so unreadable only if damaged: nothing to undo with it
    }
    const placements = Array.isArray(journal?.placements) ? journal.placements : [];
    if (journal) await rollBack({ createdDirs: () => (Array.isArray(journal.createdDirs) ? journal.createdDirs : []), count: placements.length, placement: (k) => placements[k]! }).catch(() => undefined);
  }
  for (const path of stale) await fs.rm(path, { recursive: true, force: true });
}

/**
 * The checks that need DIR: folders on the way that are links (never written through), links whose target
 * passes through a link on disk, and existing files (refused without `force`). Returns unsafe entries,
 * conflicts, and how many files `force` replaces.
 */
function targetProblems(entries: ArchiveEntry[], into: string, force: boolean): { unsafe: string[]; conflicts: string[]; overwritten: number; existing: Set<string> } {
  const unsafe: string[] = [];
  const conflicts: string[] = [];
  const existingPaths = new Set<string>();
  let overwritten = 0;
  // Only the archive's links matter here (a Map of every entry was 18,000 entries for nothing).
  const archivedLinks = new Set(entries.filter((e) => e.type === 'SymbolicLink').map((e) => e.path));
  // Thousands of entries share a few folders: each is looked up once, and only what it is is kept.
  const seen = new Map<string, 'missing' | 'link' | 'folder' | 'other'>();
  const cachedLstat = (rel: string) => {
    let kind = seen.get(rel);
    if (kind === undefined) {
      const stat = lstatOrNull(join(into, rel));
      kind = !stat ? 'missing' : stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'folder' : 'other';
      seen.set(rel, kind);
    }
    return kind;
  };
  const isLink = (path: string) => archivedLinks.has(path) || cachedLstat(path) === 'link';
  for (const entry of entries) {
    if (entry.path === '' || entry.path === MANIFEST_NAME) continue;
    let blocked = false;
    let parentMissing = false;
    for (const parent of parentsOf(entry.path)) {
      const existing = cachedLstat(parent);
      if (existing === 'missing') {
        parentMissing = true; // nothing below it exists either: no lstat per entry in a new folder
        break;
      }
      if (existing === 'link') unsafe.push(`${entry.path}: inside ${parent}, which is a link`);
      else if (existing !== 'folder') conflicts.push(`${parent} exists and is not a folder`);
      else continue;
      blocked = true;
      break;
    }
    if (blocked) continue;
    if (entry.type === 'SymbolicLink') {
      const reason = unsafeLinkReason(entry.path, entry.linkpath ?? '', isLink);
      if (reason) unsafe.push(`${entry.path}: ${reason}`);
    }
    const existing = parentMissing ? null : lstatOrNull(join(into, entry.path));
    if (!existing) continue;
    existingPaths.add(entry.path);
    if (entry.type === 'Directory') {
      if (!existing.isDirectory()) conflicts.push(`${entry.path} exists and is not a folder`);
    } else if (existing.isDirectory()) {
      conflicts.push(`${entry.path} exists as a folder`);
    } else if (!force) {
      conflicts.push(`${entry.path} exists`);
    } else {
      overwritten++;
    }
  }
  return { unsafe: [...new Set(unsafe)], conflicts: [...new Set(conflicts)], overwritten, existing: existingPaths };
}

/** The folder exists and every folder from DIR down to it is a real folder, not a link (checked right before writing into it). */
function assertRealFolder(into: string, rel: string): void {
  for (const folder of rel === '' ? [] : [...parentsOf(rel), rel]) {
    const stat = lstatOrNull(join(into, folder));
    if (!stat?.isDirectory()) {
      throw new ExpmanError('ARCHIVE_CONFLICT', `${join(into, folder)}: changed while restoring (${stat?.isSymbolicLink() ? 'now a link' : 'not a folder'}); nothing was changed`, { file: join(into, folder) });
    }
  }
}

/**
 * Restores an archive into DIR, all or nothing. The archive is read exactly once (a pipe or a file replaced
 * meanwhile cannot show the checks one thing and the writer another): each file's content goes to a
 * staging folder inside DIR under a neutral name while it is hashed. Then, on what was read, the rules that
 * `archive verify` applies (paths, types, links, duplicates, the MANIFEST), the checks against DIR (links on
 * the way, existing files), and a re-read of the staged files. Only then is each entry placed as a
 * temporary in its own folder (copied when that folder is another file system), replaced files are set
 * aside, and everything is renamed into place. Any error rolls all of it back; a journal in the staging
 * folder lets the next restore into DIR roll back one that was killed.
 */
export async function restoreArchive(file: string, intoDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = Date.now();
  const what = `restore of ${file}`;
  const requested = resolve(intoDir);
  const intoStat = lstatOrNull(requested);
  let into = requested;
  if (intoStat) {
    into = realpathSync(requested); // DIR itself may be a link the user chose; nothing below it may be
    if (!lstatOrNull(into)?.isDirectory()) throw new ExpmanError('DATA_DIR', `${requested}: not a folder`, { file: requested });
    await cleanStaleRestores(into);
  }
  throwIfCancelled(options.signal, what);

  const firstCreated = await step(into, () => fs.mkdir(into, { recursive: true }));
  const suffix = randomBytes(4).toString('hex');
  const staging = ownedTempName(into, RESTORE_TEMP, suffix);
  // Per entry (by its index in the archive): the identity (dev, ino) of its staged file, then of what is
  // placed for it; and what is placed: nothing yet, the staged file itself, or a temporary beside its final
  // name. Numbers in typed arrays, not an object and path strings per file: a restore of 12,000 files
  // otherwise kept megabytes of small objects alive, which V8's young generation grew to hold.
  const NOT_PLACED = 0;
  const STAGED = 1;
  const BESIDE = 2;
  let dev = new Float64Array(1024);
  let ino = new Float64Array(1024);
  let placedAs = new Uint8Array(1024);
  const grow = (index: number) => {
    if (index < dev.length) return;
    const size = Math.max(dev.length * 2, index + 1);
    const [d, i, p] = [new Float64Array(size), new Float64Array(size), new Uint8Array(size)];
    d.set(dev);
    i.set(ino);
    p.set(placedAs);
    [dev, ino, placedAs] = [d, i, p];
  };
  const blobPath = (index: number) => join(staging, String(index));
  // Beside its final name: `.tmp-restore-<pid>-<this restore's suffix>-<index>` (unique, and recognisably ours).
  const besidePath = (path: string, index: number) => join(into, dirname(path), `${TEMP_PREFIX}${RESTORE_TEMP}-${process.pid}-${suffix}-${index}`);
  let entries: ArchiveEntry[] = [];
  /** Indices of the entries to place (all but folders, the root and the MANIFEST), in archive order. */
  let items = new Uint32Array(0);
  let existing = new Set<string>();
  let toCreate: string[] = [];
  const placementOf = (index: number): Placement => {
    const entry = entries[index]!;
    const beside = besidePath(entry.path, index);
    const placement: Placement = { final: join(into, entry.path), temp: placedAs[index] === STAGED ? blobPath(index) : beside };
    if (existing.has(entry.path)) placement.backup = `${beside}-old`;
    if (placedAs[index] !== NOT_PLACED) {
      placement.dev = dev[index]!;
      placement.ino = ino[index]!;
    }
    return placement;
  };
  const journal: JournalView = { createdDirs: () => toCreate.map((folder) => join(into, folder)), count: 0, placement: (k) => placementOf(items[k]!) };
  let committed = false;
  try {
    await step(into, () => fs.mkdir(staging));
    const keep = (mode: number) => mode & (options.preservePermissions ? 0o7777 : 0o1777);
    const scan = await scanArchive(file, {
      signal: options.signal,
      onProgress: options.onProgress,
      phase: 'reading',
      // Each file's content goes to its staged copy through plain synchronous calls on one descriptor,
      // which also gives it its final mode and mtime (a rename keeps both): no stream per file, and no
      // chmod or utimes by path later.
      store: (entry, index) => {
        const where = entry.pathProblem === undefined ? entry.path : entry.rawPath;
        let fd: number | undefined;
        const attempt = <T>(work: () => T): T => {
          try {
            return work();
          } catch (error) {
            if (fd !== undefined) closeSync(fd);
            fd = undefined;
            throw writeError(where, error);
          }
        };
        fd = attempt(() => openSync(blobPath(index), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
        return {
          write(chunk) {
            let offset = 0;
            while (offset < chunk.length) offset += attempt(() => writeSync(fd!, chunk, offset, chunk.length - offset));
          },
          end() {
            attempt(() => {
              fchmodSync(fd!, keep(entry.mode));
              if (entry.mtime !== undefined) futimesSync(fd!, entry.mtime, entry.mtime);
              const stat = fstatSync(fd!);
              grow(index);
              dev[index] = stat.dev;
              ino[index] = stat.ino;
            });
            attempt(() => closeSync(fd!));
            fd = undefined;
          },
          destroy() {
            if (fd !== undefined) closeSync(fd);
            fd = undefined;
          },
        };
      },
    });
    entries = scan.entries;
    grow(entries.length);

    const problems = archiveProblems(scan);
    const unsafe = problems.filter((p) => p.kind === 'unsafe').map((p) => `${p.path}: ${p.detail}`);
    const target = targetProblems(
      entries.filter((e) => e.pathProblem === undefined),
      into,
      Boolean(options.force),
    );
    unsafe.push(...target.unsafe);
    if (unsafe.length) throw new ExpmanError('ARCHIVE_UNSAFE', `${file}: refusing to restore, nothing was written: ${listed(unsafe)}`, { file, problems: unsafe });
    const mismatch = problems.filter((p) => p.kind !== 'unsafe');
    if (mismatch.length || !scan.manifest) {
      const text = mismatch.map((p) => `${p.kind} ${p.path} (${p.detail})`);
      throw new ExpmanError('ARCHIVE_INVALID', `${file}: does not match its manifest, nothing was written: ${listed(text)}`, { file, problems: mismatch });
    }
    const manifest = scan.manifest;
    if (target.conflicts.length) {
      const hint = target.conflicts.some((c) => c.endsWith(' exists')) && !options.force ? ' (use --force to overwrite existing files)' : '';
      throw new ExpmanError('ARCHIVE_CONFLICT', `${requested}: ${listed(target.conflicts)}${hint}; nothing was written`, { file: requested, conflicts: target.conflicts });
    }
    existing = target.existing;

    // The staged copies hold exactly the bytes that were hashed (each write returned only once the kernel
    // had them). They are not read back: a re-read would come from the page cache, which proves nothing
    // about the disk, and it doubled the restore's reads and hashing.
    const total = manifest.files.reduce((sum, f) => sum + f.size, 0);
    throwIfCancelled(options.signal, what);

    // Plan: folders to create, a temporary beside each final file, a backup name for each file replaced.
    const restored = (entry: ArchiveEntry) => entry.path !== '' && entry.path !== MANIFEST_NAME;
    const needed = new Set<string>();
    const chosen: number[] = [];
    entries.forEach((entry, index) => {
      if (!restored(entry)) return;
      if (entry.type !== 'Directory') chosen.push(index);
      // Each folder once, with the folders above it (walking up stops at the first one already known).
      for (let folder = entry.type === 'Directory' ? entry.path : dirname(entry.path); folder !== '.' && !needed.has(folder); folder = dirname(folder)) needed.add(folder);
    });
    items = Uint32Array.from(chosen);
    toCreate = [...needed].filter((folder) => !lstatOrNull(join(into, folder))).sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
    needed.clear();
    journal.count = items.length;
    stepSync(staging, () => writeJournal(staging, journal));

    // Prepare: nothing under its final name yet.
    for (const folder of toCreate) {
      assertRealFolder(into, dirname(folder) === '.' ? '' : dirname(folder));
      await step(folder, () => fs.mkdir(join(into, folder)));
    }
    const stagingDev = lstatSync(staging).dev;
    // Entries come folder by folder: each folder (and every folder above it) is checked once per run of
    // entries in it, right before the first of them is placed (and again at the commit below).
    let checkedFolder: string | undefined;
    let folderDev = stagingDev;
    for (const index of items) {
      throwIfCancelled(options.signal, what);
      const entry = entries[index]!;
      const folder = dirname(entry.path) === '.' ? '' : dirname(entry.path);
      if (folder !== checkedFolder) {
        assertRealFolder(into, folder);
        folderDev = lstatSync(join(into, folder)).dev;
        checkedFolder = folder;
      }
      const beside = besidePath(entry.path, index);
      if (entry.type === 'SymbolicLink') {
        await step(entry.path, () => fs.symlink(entry.linkpath!, beside));
      } else if (FILE_TYPES.has(entry.type) && scan.files.has(entry.path)) {
        if (folderDev === dev[index]) {
          // Same file system: the commit renames the staged file itself into place (dev and ino are the staged file's).
          placedAs[index] = STAGED;
          continue;
        }
        // A folder that is a mount point of another file system gets a copy: a rename would fail with EXDEV.
        await step(entry.path, () => fs.copyFile(blobPath(index), beside, constants.COPYFILE_EXCL));
        await step(entry.path, () => fs.chmod(beside, keep(entry.mode)));
        if (entry.mtime !== undefined) await step(entry.path, () => fs.utimes(beside, entry.mtime!, entry.mtime!));
      }
      const placed = lstatSync(beside);
      dev[index] = placed.dev;
      ino[index] = placed.ino;
      placedAs[index] = BESIDE;
    }
    stepSync(staging, () => writeJournal(staging, journal));
    throwIfCancelled(options.signal, what);

    // Commit: set replaced files aside, rename each temporary over its final name.
    // Synchronous: one rename each, where a promise per call cost more than the call. Staged files are
    // renamed from the staging folder straight into their folders here, so each folder is checked again
    // (once per run of entries in it) right before its entries arrive.
    checkedFolder = undefined;
    for (const index of items) {
      const entry = entries[index]!;
      const folder = dirname(entry.path) === '.' ? '' : dirname(entry.path);
      if (folder !== checkedFolder) {
        assertRealFolder(into, folder);
        checkedFolder = folder;
      }
      const placement = placementOf(index);
      stepSync(entry.path, () => {
        if (placement.backup) renameSync(placement.final, placement.backup);
        renameSync(placement.temp, placement.final);
      });
    }
    committed = true;
    if (existing.size) for (const index of items) {
      const { backup } = placementOf(index);
      if (backup) await fs.rm(backup, { force: true }).catch(() => undefined);
    }
    // Folder modes and mtimes last: writing into a folder changes its mtime, and a read-only folder could not be filled.
    for (let index = entries.length - 1; index >= 0; index--) {
      const dir = entries[index]!;
      if (dir.type !== 'Directory' || !restored(dir)) continue;
      const path = join(into, dir.path);
      // Best effort, as GNU tar: the files are in place.
      attemptSync(() => chmodSync(path, keep(dir.mode)));
      if (dir.mtime !== undefined) attemptSync(() => utimesSync(path, dir.mtime!, dir.mtime!));
    }
    await fs.rm(staging, { recursive: true, force: true });
    releaseTempName(staging);
    return {
      into,
      files: manifest.files.length,
      links: manifest.links.length,
      bytes: total,
      overwritten: target.overwritten,
      manifest,
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    if (!committed) await rollBack(journal);
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    releaseTempName(staging);
    if (firstCreated) {
      // Remove the folders this restore created for DIR itself, innermost first, if they are still empty.
      for (let dir = into; dir.length >= firstCreated.length; dir = dirname(dir)) await fs.rmdir(dir).catch(() => undefined);
    }
    if (options.signal?.aborted) throw cancelledError(what);
    throw error;
  }
}
