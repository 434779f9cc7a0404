import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ExpmanError } from '../errors.js';
import type { ProgressListener } from '../progress.js';
import { cancelledError } from '../cancel.js';

export interface ArchiveEntry {
  /** The path as stored, without a leading "./" or a directory's trailing '/'. */
  path: string;
  /** node-tar's type name: File, OldFile, Directory, SymbolicLink, Link, CharacterDevice, … */
  type: string;
  size: number;
  mode: number;
  mtime?: Date;
  linkpath?: string;
}

export interface ReadArchiveOptions {
  signal?: AbortSignal;
  /** Compressed bytes read so far, of the archive's size. */
  onProgress?: ProgressListener;
  phase?: string;
}

/**
 * Streams a .tar.gz once (Node's gunzip reads concatenated gzip members as one stream) and calls
 * `onEntry` for each entry with its content stream. The content must be consumed, by reading it or by
 * `stream.resume()`; a promise `onEntry` returns is awaited before this resolves.
 */
export async function readArchive(
  file: string,
  onEntry: (entry: ArchiveEntry, content: ReadEntry) => void | Promise<void>,
  options: ReadArchiveOptions = {},
): Promise<void> {
  let total: number;
  try {
    total = (await fs.stat(file)).size;
  } catch (error) {
    throw new ExpmanError('ARCHIVE_INVALID', `${file}: cannot read the archive (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
  }
  const phase = options.phase ?? 'reading';
  const pending: Array<Promise<void>> = [];
  let current: string | undefined;
  let read = 0;
  let lastReport = 0;

  await new Promise<void>((resolvePromise, reject) => {
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip();
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        // GNU tar -C dir . stores "./x": the same entry as "x".
        const path = entry.path.replace(/^(\.\/+)+/, '').replace(/\/+$/, '');
        current = path;
        const info: ArchiveEntry = { path, type: entry.type, size: entry.size, mode: entry.mode ?? 0, mtime: entry.mtime, linkpath: entry.linkpath };
        try {
          const result = onEntry(info, entry);
          if (result) {
            result.catch(() => undefined); // collected below; this only stops an early rejection counting as unhandled
            pending.push(result);
          }
        } catch (error) {
          fail(error);
        }
      },
    });
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      input.destroy();
      gunzip.destroy();
      if (options.signal?.aborted) return reject(cancelledError(`reading ${file}`));
      if (error instanceof ExpmanError) return reject(error);
      const where = current ? `, while reading ${current}` : '';
      const message = (error as Error).message ?? String(error);
      reject(new ExpmanError('ARCHIVE_INVALID', `${file}: damaged or not a .tar.gz (${message}) at byte ${read} of ${total}${where}`, { file, entry: current }));
    };
    const abort = () => fail(cancelledError(`reading ${file}`));
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) return abort();

    input.on('data', (chunk) => {
      read += chunk.length;
      const now = Date.now();
      if (options.onProgress && now - lastReport >= 100) {
        lastReport = now;
        options.onProgress({ phase, done: read, total, unit: 'bytes' });
      }
    });
    input.on('error', fail);
    gunzip.on('error', fail);
    parser.on('error', fail);
    parser.on('end', () => {
      options.signal?.removeEventListener('abort', abort);
      if (failed) return;
      options.onProgress?.({ phase, done: total, total, unit: 'bytes' });
      Promise.all(pending).then(() => resolvePromise(), fail);
    });
    input.pipe(gunzip).pipe(parser);
  });
}
