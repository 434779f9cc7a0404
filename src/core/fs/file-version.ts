import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileConflictDetails, FileVersion } from '../../shared/config.js';
import { ExpmanError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Files the UI edits (a config.toml, the saved sync destinations) are read with their version and
 * written only over that same version, so a change made elsewhere since (another tab or window, an
 * editor, the CLI) is never silently overwritten: the save is refused with a CONFLICT error that
 * carries the file as it is now, and the user decides.
 */

export interface VersionedText {
  text: string;
  /** Null when the file does not exist. */
  version: FileVersion | null;
}

function versionOf(data: Buffer, mtimeMs: number): FileVersion {
  return { mtimeMs, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Reads a UTF-8 file with its version; a missing file reads as "" with version null. */
export async function readVersioned(file: string): Promise<VersionedText> {
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', version: null };
    throw error;
  }
  try {
    // Stat the open handle, so the time belongs to the bytes read even if the file is replaced meanwhile.
    const [data, stat] = [await handle.readFile(), await handle.stat()];
    return { text: data.toString('utf8'), version: versionOf(data, stat.mtimeMs) };
  } finally {
    await handle.close();
  }
}

/** True when the file is still the one `base` describes (by content: a touched but unchanged file is the same). */
function sameVersion(current: FileVersion | null, base: FileVersion | null): boolean {
  if (current === null || base === null) return current === base;
  return current.sha256 === base.sha256;
}

/** Per file, the tail of the writes queued in this process. */
const writing = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier one for the same file in this process has finished, so the check and
 * the write of one save are never interleaved with another's (two tabs or windows are served by one
 * backend process).
 */
async function oneAtATime<T>(file: string, task: () => Promise<T>): Promise<T> {
  const previous = writing.get(file) ?? Promise.resolve();
  const mine = previous.then(task, task);
  const tail = mine.catch(() => undefined);
  writing.set(file, tail);
  try {
    return await mine;
  } finally {
    if (writing.get(file) === tail) writing.delete(file);
  }
}

/**
 * Writes `text` atomically if the file is still at `base` (null: it must not exist), and returns the new
 * version. Otherwise throws CONFLICT with the current text and version in the details. Saves through
 * this backend are serialized per file; against another process (an editor, the CLI) the check and the
 * rename are two steps, a window of one small write.
 */
export async function writeIfUnchanged(file: string, text: string, base: FileVersion | null, label = file): Promise<FileVersion> {
  return oneAtATime(file, () => writeOver(file, text, base, label));
}

/**
 * Read, change and write a file as one step for this process (a settings list that each call edits
 * one item of): concurrent updates through this backend apply one after the other, none is lost; a
 * change made by another process in between is a CONFLICT.
 */
export async function updateFile<T>(file: string, change: (text: string) => { text: string; result: T }): Promise<T> {
  return oneAtATime(file, async () => {
    const current = await readVersioned(file);
    const next = change(current.text);
    await writeOver(file, next.text, current.version, file);
    return next.result;
  });
}

/** The check and the write, inside oneAtATime. */
async function writeOver(file: string, text: string, base: FileVersion | null, label: string): Promise<FileVersion> {
  const current = await readVersioned(file);
  if (!sameVersion(current.version, base)) {
    const when = current.version ? `changed on disk at ${new Date(current.version.mtimeMs).toISOString()}` : 'was deleted';
    const details: FileConflictDetails = { file, text: current.text, version: current.version };
    throw new ExpmanError('CONFLICT', `${label}: ${base === null ? 'was created elsewhere' : when} since it was loaded; reload it or overwrite it`, { ...details });
  }
  await writeFileAtomic(file, text);
  const stat = await fs.stat(file);
  return versionOf(Buffer.from(text, 'utf8'), stat.mtimeMs);
}
