import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import { processMatches } from '../runs/lock.js';
import { SYNC_TEMP_DIR } from './rsync-args.js';

let serial = 0;

/**
 * Removes the temporary folders of syncs that are no longer running (their process on this host is
 * gone: killed outright, so rsync could not remove its temporary file). A folder of another host (a
 * shared file system) is left alone: its process cannot be checked from here.
 */
export async function removeStaleTempDirs(root: string): Promise<string[]> {
  const base = join(root, SYNC_TEMP_DIR);
  let names: string[];
  try {
    names = await fs.readdir(base);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^(.+)-(\d+)-\d+$/.exec(name);
    if (!m || m[1] !== hostname() || processMatches(Number(m[2]))) continue;
    await fs.rm(join(base, name), { recursive: true, force: true });
    removed.push(`${SYNC_TEMP_DIR}/${name}`);
  }
  await fs.rmdir(base).catch(() => undefined); // only when empty
  return removed;
}

/**
 * A fresh temporary folder for this sync's rsync (--temp-dir), after removing stale ones. This is the
 * first write into the receiving folder, so a read-only one is reported here, in one line.
 */
export async function createTempDir(root: string): Promise<string> {
  const dir = join(root, SYNC_TEMP_DIR, `${hostname()}-${process.pid}-${serial++}`);
  try {
    await keepingRootTimes(root, async () => {
      await removeStaleTempDirs(root);
      await fs.mkdir(dir, { recursive: true });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new ExpmanError('SYNC_PERMISSION', `permission denied: cannot write into ${root} (${code})`, { file: root });
    }
    throw new ExpmanError('SYNC_FAILED', `cannot write into ${root} (${code})`, { file: root });
  }
  return dir;
}

/** Removes this sync's temporary folder, and the parent when no other sync uses it. */
export async function removeTempDir(dir: string): Promise<void> {
  const root = join(dir, '..', '..');
  await keepingRootTimes(root, async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rmdir(join(dir, '..')).catch(() => undefined);
  });
}

/**
 * Runs `change` (adding or removing the temporary folder in the receiving folder's root) and puts the
 * root's times back: rsync copies the source root's mtime onto it, and a temporary folder created before
 * or removed after rsync would otherwise leave the root looking changed to the next sync (an itemized
 * `.d..t...... .` on a run that should transfer nothing).
 */
async function keepingRootTimes(root: string, change: () => Promise<void>): Promise<void> {
  const before = await fs.stat(root).catch(() => null);
  await change();
  if (before) await fs.utimes(root, before.atime, before.mtime).catch(() => undefined);
}
