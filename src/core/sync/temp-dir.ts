import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './live-runs.js';
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
    if (!m || m[1] !== hostname() || pidAlive(Number(m[2]))) continue;
    await fs.rm(join(base, name), { recursive: true, force: true });
    removed.push(`${SYNC_TEMP_DIR}/${name}`);
  }
  await fs.rmdir(base).catch(() => undefined); // only when empty
  return removed;
}

/** A fresh temporary folder for this sync's rsync (--temp-dir), after removing stale ones. */
export async function createTempDir(root: string): Promise<string> {
  await removeStaleTempDirs(root);
  const dir = join(root, SYNC_TEMP_DIR, `${hostname()}-${process.pid}-${serial++}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Removes this sync's temporary folder, and the parent when no other sync uses it. */
export async function removeTempDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rmdir(join(dir, '..')).catch(() => undefined);
}
