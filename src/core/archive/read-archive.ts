import { constants, createReadStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ExpmanError } from '../errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { cancelledError } from '../cancel.js';
import { formatOfBytes, MAGIC_BYTES } from './archive-format.js';
import { normalizeEntryPath } from './entry-safety.js';
import { findOnPath } from '../find-on-path.js';
import { childDecoder, findZstd, zstdDecoder } from './zstd.js';

export interface ArchiveEntry {
  /** The normalised path (see normalizeEntryPath; '' is the root folder), or the stored path when it is refused. */
  path: string;
  /** The path exactly as stored in the archive. */
  rawPath: string;
  /** Why the stored path cannot be restored (absolute, '..', '.' or empty segments, …); undefined when it can. */
  pathProblem?: string;
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
 * The gzip decompressor: the system's pigz or gzip in a child process where there is one (it decompresses
 * on another core while this process parses and writes, as `tar xzf` runs gzip beside tar), else Node's
 * gunzip. All three read concatenated members (what `expman archive` writes) as one stream.
 */
function gunzipDecoder(): Duplex {
  for (const name of ['pigz', 'gzip']) {
    const command = findOnPath(name);
    if (command) return childDecoder(command, ['-d', '-c'], name);
  }
  return createGunzip();
}

/**
 * Opens the archive for one streamed read. Regular files and pipes are accepted (a pipe, e.g.
 * `<(curl …)`, is read exactly once, which is all restore needs); devices and sockets are refused. Opening
 * a FIFO blocks until a writer appears: a cancellation then unblocks our own open (by briefly opening the
 * FIFO for writing), so Ctrl-C or SIGTERM ends the command instead of leaving it stuck in the kernel.
 */
async function openArchive(file: string, signal: AbortSignal | undefined): Promise<{ handle: FileHandle; total: number }> {
  const cannotRead = (error: unknown) =>
    new ExpmanError('ARCHIVE_INVALID', `${file}: cannot read the archive (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    throw cannotRead(error);
  }
  if (!stat.isFile() && !stat.isFIFO()) throw new ExpmanError('ARCHIVE_INVALID', `${file}: not a regular file or a pipe`, { file });
  if (signal?.aborted) throw cancelledError(`reading ${file}`);
  const opening = fs.open(file, 'r');
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolveAbort) => {
    onAbort = () => resolveAbort('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([opening, aborted]);
    if (first !== 'aborted') {
      if (!signal?.aborted) return { handle: first, total: stat.size };
      await first.close();
      throw cancelledError(`reading ${file}`);
    }
    if (stat.isFIFO()) {
      // Our open is waiting for a writer; become one for a moment so it returns and the process can exit.
      await fs
        .open(file, constants.O_WRONLY | constants.O_NONBLOCK)
        .then((writer) => writer.close())
        .catch(() => undefined);
    }
    await opening.then((h) => h.close()).catch(() => undefined);
    throw cancelledError(`reading ${file}`);
  } catch (error) {
    if (error instanceof ExpmanError) throw error;
    throw cannotRead(error);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Streams a .tar.gz or .tar.zst once and calls
 * `onEntry` for each entry with its content stream. The content must be consumed, by reading it or by
 * `stream.resume()`; a promise `onEntry` returns is awaited before this resolves. Every entry path is
 * normalised here, once, for every reader (verify and restore apply the same rules to the same paths).
 * The compression is told by the first bytes, not the name (a pipe has none): zstd goes through the
 * system's `zstd -d`, gzip through Node's gunzip (which reads concatenated gzip members as one stream).
 */
export async function readArchive(
  file: string,
  onEntry: (entry: ArchiveEntry, content: ReadEntry) => void | Promise<void>,
  options: ReadArchiveOptions = {},
): Promise<void> {
  const { handle, total } = await openArchive(file, options.signal);
  const phase = options.phase ?? 'reading';
  const pending: Array<Promise<void>> = [];
  const open = new Set<ReadEntry>();
  let current: string | undefined;
  let read = 0;
  let lastReport = 0;

  await new Promise<void>((resolvePromise, reject) => {
    const input = createReadStream('', { fd: handle, highWaterMark: 1 << 20 });
    let decoder: Duplex | undefined;
    let head = Buffer.alloc(0);
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        // The parser can still emit entries it had buffered when the read failed: their handlers would start
        // after `fail` took the list of handlers to await, and write into a staging folder being removed.
        if (failed) {
          entry.on('error', () => undefined);
          entry.resume();
          return;
        }
        const normal = normalizeEntryPath(entry.path);
        const path = 'path' in normal ? normal.path : entry.path;
        current = entry.path;
        const info: ArchiveEntry = {
          path,
          rawPath: entry.path,
          pathProblem: 'reason' in normal ? normal.reason : undefined,
          type: entry.type,
          size: entry.size,
          mode: entry.mode ?? 0,
          mtime: entry.mtime,
          linkpath: entry.linkpath,
        };
        open.add(entry);
        entry.on('end', () => open.delete(entry));
        entry.on('error', () => undefined); // a handler that reads the entry sees the error; one that resumed it need not
        try {
          const result = onEntry(info, entry);
          if (result) {
            result.catch(fail); // a failing entry (a full disk while restoring) stops the read at once
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
      decoder?.destroy();
      options.signal?.removeEventListener('abort', abort);
      // Entries still being consumed are ended, and their handlers awaited: a caller that cleans up after
      // the rejection must not race a handler still writing (a restore's staging folder).
      for (const entry of open) entry.destroy(new Error('archive read stopped'));
      const settled = Promise.allSettled(pending);
      if (options.signal?.aborted) return void settled.then(() => reject(cancelledError(`reading ${file}`)));
      if (error instanceof ExpmanError) return void settled.then(() => reject(error));
      const where = current ? `, while reading ${current}` : '';
      const message = (error as Error).message ?? String(error);
      const damaged = new ExpmanError('ARCHIVE_INVALID', `${file}: damaged or not a .tar.gz or .tar.zst (${message}) at byte ${read}${total ? ` of ${total}` : ''}${where}`, { file, entry: current });
      void settled.then(() => reject(damaged));
    };
    const abort = () => fail(cancelledError(`reading ${file}`));
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted) return abort();

    /** The decompressor, chosen by the first bytes; everything read goes through it, with backpressure. */
    const feed = (chunk: Buffer) => {
      if (!decoder) {
        head = Buffer.concat([head, chunk]);
        if (head.length < MAGIC_BYTES) return;
        chunk = head;
        try {
          decoder = formatOfBytes(head) === 'zst' ? zstdDecoder(findZstd()) : gunzipDecoder();
        } catch (error) {
          return fail(error);
        }
        decoder.on('error', fail);
        decoder.pipe(parser);
      }
      if (!decoder.write(chunk)) {
        input.pause();
        decoder.once('drain', () => input.resume());
      }
    };
    input.on('data', (chunk) => {
      feed(chunk as Buffer);
      read += chunk.length;
      const now = Date.now();
      if (options.onProgress && now - lastReport >= 100) {
        lastReport = now;
        options.onProgress({ phase, done: read, total: Math.max(total, read), unit: 'bytes' });
      }
    });
    input.on('error', fail);
    input.on('end', () => {
      if (failed) return;
      // Shorter than any magic number: gunzip names it (unexpected end of file).
      if (!decoder) {
        decoder = createGunzip();
        decoder.on('error', fail);
        decoder.pipe(parser);
        decoder.write(head);
      }
      decoder.end();
    });
    parser.on('error', fail);
    parser.on('end', () => {
      options.signal?.removeEventListener('abort', abort);
      if (failed) return;
      options.onProgress?.({ phase, done: read, total: Math.max(total, read), unit: 'bytes' });
      Promise.all(pending).then(() => resolvePromise(), fail);
    });

  });
}
