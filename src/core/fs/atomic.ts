import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Names of in-progress temporaries: readers (list, archive, resume) skip anything that starts with this. */
export const TEMP_PREFIX = '.tmp-';

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

function tempSibling(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${basename(target)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn one:
 * write to a temporary sibling, fsync, rename over the target.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempSibling(target);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/**
 * Builds a directory under a temporary name and renames it into place when `fill` has finished, so a
 * directory that exists under its final name is always complete. An existing target is replaced.
 */
export async function writeDirAtomic(target: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const temp = tempSibling(target);
  await fs.mkdir(temp, { recursive: true });
  try {
    await fill(temp);
    const previous = `${temp}-old`;
    let hadPrevious = false;
    try {
      await fs.rename(target, previous);
      hadPrevious = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await fs.rename(temp, target);
    if (hadPrevious) await fs.rm(previous, { recursive: true, force: true });
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Stages several files and publishes them together: all are written to temporaries first, then renamed.
 * If any write fails nothing is published and the temporaries are removed.
 */
export async function writeFilesAtomic(files: ReadonlyArray<{ path: string; data: string | Uint8Array }>): Promise<void> {
  const staged: Array<{ temp: string; path: string }> = [];
  try {
    for (const file of files) {
      const temp = tempSibling(file.path);
      staged.push({ temp, path: file.path });
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(file.data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await Promise.all(staged.map((s) => fs.rm(s.temp, { force: true })));
    throw error;
  }
  for (const s of staged) await fs.rename(s.temp, s.path);
}
