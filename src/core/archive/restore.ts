import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, promises as fs } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TEMP_PREFIX } from '../fs/atomic.js';
import { ExpmanError } from '../errors.js';
import type { ProgressListener } from '../progress.js';
import { cancelledError, throwIfCancelled } from '../cancel.js';
import { entryProblems, FILE_TYPES } from './entry-safety.js';
import { MANIFEST_NAME, type Manifest } from './manifest.js';
import { readArchive, type ArchiveEntry } from './read-archive.js';
import { compareWithManifest, scanArchive } from './verify.js';

export interface RestoreOptions {
  /** Overwrite files that already exist in the target folder. */
  force?: boolean;
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

function listed(items: string[]): string {
  return items.slice(0, LIST_AT_MOST).join('; ') + (items.length > LIST_AT_MOST ? `; and ${items.length - LIST_AT_MOST} more` : '');
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

async function sha256OfFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Checks everything before writing anything: entries (absolute paths, '..', links leaving DIR or passing
 * through links, devices), the manifest, and files that already exist (refused without `force`). Then
 * extracts into a temporary folder inside DIR, verifies the extracted files against the manifest, and
 * only then moves them into place. On any error or cancellation DIR is left as it was.
 */
export async function restoreArchive(file: string, intoDir: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const started = Date.now();
  const into = resolve(intoDir);
  const what = `restore of ${file}`;
  const scan = await scanArchive(file, { signal: options.signal, onProgress: options.onProgress, phase: 'checking' });

  const archivedLinks = new Set(scan.entries.filter((e) => e.type === 'SymbolicLink').map((e) => e.path));
  const isLink = (path: string) => archivedLinks.has(path) || Boolean(lstatOrNull(join(into, path))?.isSymbolicLink());
  const unsafe = scan.entries.flatMap((entry) => entryProblems(entry, isLink).map((reason) => `${entry.path}: ${reason}`));
  if (unsafe.length) {
    throw new ExpmanError('ARCHIVE_UNSAFE', `${file}: refusing to restore, nothing was written: ${listed(unsafe)}`, { file, problems: unsafe });
  }
  const problems = compareWithManifest(scan);
  if (problems.length || !scan.manifest) {
    const text = problems.map((p) => `${p.kind} ${p.path} (${p.detail})`);
    throw new ExpmanError('ARCHIVE_INVALID', `${file}: does not match its manifest, nothing was written: ${listed(text)}`, { file, problems });
  }
  const manifest = scan.manifest;

  const intoStat = lstatOrNull(into);
  if (intoStat && !intoStat.isDirectory()) throw new ExpmanError('DATA_DIR', `${into}: not a folder`, { file: into });
  const conflicts: string[] = [];
  let overwritten = 0;
  for (const entry of scan.entries) {
    const existing = lstatOrNull(join(into, entry.path));
    if (!existing) continue;
    if (entry.type === 'Directory') {
      if (!existing.isDirectory()) conflicts.push(`${entry.path} exists and is not a folder`);
    } else if (existing.isDirectory()) {
      conflicts.push(`${entry.path} exists as a folder`);
    } else if (!options.force) {
      conflicts.push(`${entry.path} exists`);
    } else {
      overwritten++;
    }
  }
  if (conflicts.length) {
    const hint = conflicts.some((c) => c.endsWith(' exists')) && !options.force ? ' (use --force to overwrite existing files)' : '';
    throw new ExpmanError('ARCHIVE_CONFLICT', `${into}: ${listed(conflicts)}${hint}; nothing was written`, { file: into, conflicts });
  }
  throwIfCancelled(options.signal, what);

  const createdInto = !intoStat;
  await fs.mkdir(into, { recursive: true });
  const staging = join(into, `${TEMP_PREFIX}restore-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(staging);
  try {
    await extractInto(file, staging, options);
    await verifyExtracted(staging, manifest, options);
    throwIfCancelled(options.signal, what);
    await moveIntoPlace(scan.entries, staging, into);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    if (createdInto) await fs.rmdir(into).catch(() => undefined);
    if (options.signal?.aborted) throw cancelledError(what);
    throw error;
  }
  await fs.rm(staging, { recursive: true, force: true });
  return {
    into,
    files: manifest.files.length,
    links: manifest.links.length,
    bytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
    overwritten,
    manifest,
    seconds: (Date.now() - started) / 1000,
  };
}

async function extractInto(file: string, staging: string, options: RestoreOptions): Promise<void> {
  await readArchive(
    file,
    async (entry, content) => {
      if (entry.path === MANIFEST_NAME || entry.path === '' || entry.path === '.') {
        content.resume();
        return;
      }
      const target = join(staging, entry.path);
      if (entry.type === 'Directory') {
        content.resume();
        await fs.mkdir(target, { recursive: true });
      } else if (entry.type === 'SymbolicLink') {
        content.resume();
        await fs.mkdir(dirname(target), { recursive: true });
        await fs.symlink(entry.linkpath ?? '', target);
      } else if (FILE_TYPES.has(entry.type)) {
        // The entry buffers its data (and holds the parser back) until the pipeline starts reading it.
        await fs.mkdir(dirname(target), { recursive: true });
        await pipeline(content as unknown as NodeJS.ReadableStream, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        await fs.chmod(target, entry.mode & 0o7777);
        if (entry.mtime) await fs.utimes(target, entry.mtime, entry.mtime);
      } else {
        content.resume();
      }
    },
    { signal: options.signal, onProgress: options.onProgress, phase: 'extracting' },
  );
}

async function verifyExtracted(staging: string, manifest: Manifest, options: RestoreOptions): Promise<void> {
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0);
  let done = 0;
  for (const expected of manifest.files) {
    throwIfCancelled(options.signal, 'restore');
    const actual = await sha256OfFile(join(staging, expected.path));
    if (actual.size !== expected.size || actual.sha256 !== expected.sha256) {
      throw new ExpmanError('ARCHIVE_INVALID', `${expected.path}: extracted file does not match the manifest (disk error?); nothing was written`, { file: expected.path });
    }
    done += expected.size;
    options.onProgress?.({ phase: 'verifying', done, total, unit: 'bytes' });
  }
}

/** Renames each staged file over its final path; folders are created (or kept) and get their modes and mtimes last. */
async function moveIntoPlace(entries: ArchiveEntry[], staging: string, into: string): Promise<void> {
  const dirs: ArchiveEntry[] = [];
  for (const entry of entries) {
    if (entry.path === '' || entry.path === '.') continue;
    const target = join(into, entry.path);
    if (entry.type === 'Directory') {
      await fs.mkdir(target, { recursive: true });
      dirs.push(entry);
    } else {
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.rename(join(staging, entry.path), target);
    }
  }
  for (const dir of dirs.reverse()) {
    const target = join(into, dir.path);
    await fs.chmod(target, dir.mode & 0o7777);
    if (dir.mtime) await fs.utimes(target, dir.mtime, dir.mtime);
  }
}
