import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, createReadStream, existsSync, mkdtempSync, openSync, promises as fs, readFileSync, readSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ExpmanError } from '../errors.js';
import type { ProgressListener } from '../../shared/progress.js';
import { cancelledError } from '../cancel.js';
import { formatOfBytes, MAGIC_BYTES } from './archive-format.js';
import { collectStderr, lastLine } from './child-output.js';
import { normalizeEntryPath } from './entry-safety.js';
import { findOnPath } from '../find-on-path.js';
import { TarReader, type TarContent } from './tar-reader.js';
import { findZstd } from './zstd.js';

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
  /** Seconds since the epoch (a number, not a Date: a restore keeps one per entry). */
  mtime?: number;
  linkpath?: string;
}

export interface ReadArchiveOptions {
  signal?: AbortSignal;
  /** Compressed bytes read so far, of the archive's size. */
  onProgress?: ProgressListener;
  phase?: string;
}


/**
 * Opens the archive for one streamed read. Regular files and pipes are accepted (a pipe, e.g.
 * `<(curl …)`, is read exactly once, which is all restore needs); devices and sockets are refused. Opening
 * a FIFO blocks until a writer appears: a cancellation then unblocks our own open (by briefly opening the
 * FIFO for writing), so Ctrl-C or SIGTERM ends the command instead of leaving it stuck in the kernel.
 */
async function openArchive(file: string, signal: AbortSignal | undefined): Promise<{ handle: FileHandle; total: number; regular: boolean }> {
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
      if (!signal?.aborted) return { handle: first, total: stat.size, regular: stat.isFile() };
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


/** The decompressor for a format: a command run as a child, or Node's gunzip where no command is installed. */
function decompressorFor(head: Buffer): { command: string; args: string[]; name: string } | 'node-gunzip' {
  // zstd: the system's command (there is no zstd in Node 20).
  if (formatOfBytes(head) === 'zst') return { command: findZstd(), args: ['-d', '-q', '-c'], name: 'zstd' };
  // gzip: pigz or gzip in a child decompresses on another core while this process parses and writes, as
  // `tar xzf` runs gzip beside tar. All three read concatenated members (what `expman archive` writes).
  for (const name of ['pigz', 'gzip']) {
    const command = findOnPath(name);
    if (command) return { command, args: ['-d', '-c'], name };
  }
  return 'node-gunzip';
}

/** Bytes read into one reused buffer from the decompressor (a pipe gives at most 64 KiB a read). */
const READ_BUFFER_BYTES = 256 * 1024;

/**
 * A pipe whose read end this process reads into one reused buffer (a net.Socket with `onread`), for the
 * decompressor's stdout: a child's stdio pipe hands every read over in a new buffer. Node has no pipe(2),
 * so it is a FIFO made by mkfifo in a private temporary folder, both ends opened, then the name removed.
 * undefined where that is not possible (no mkfifo): the child's stdout is read as a stream then.
 */
function privatePipe(): { readFd: number; writeFd: number } | undefined {
  if (process.platform === 'win32') return undefined;
  const mkfifo = findOnPath('mkfifo') ?? ['/usr/bin/mkfifo', '/bin/mkfifo'].find((path) => existsSync(path));
  if (!mkfifo) return undefined;
  let dir: string | undefined;
  let readFd: number | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'expman-pipe-'));
    const path = join(dir, 'pipe');
    if (spawnSync(mkfifo, ['-m', '600', path], { stdio: 'ignore' }).status !== 0) return undefined;
    // The read end without blocking (no writer yet); then the write end, which a reader lets open at once.
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY);
    return { readFd, writeFd };
  } catch {
    if (readFd !== undefined) closeSync(readFd);
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** How far the child has read the archive it shares with this process (Linux: the descriptor's offset). */
function sharedOffset(fd: number): number | undefined {
  try {
    const pos = /^pos:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1];
    return pos === undefined ? undefined : Number(pos);
  } catch {
    return undefined;
  }
}

/**
 * Streams a .tar.gz or .tar.zst once and calls `onEntry` for each entry; the content of an entry goes to
 * what `onEntry` returns, synchronously, as views of a buffer that is reused for the next read (copy what
 * must be kept). Every entry path is normalised here, once, for every reader (verify and restore apply the
 * same rules to the same paths). The compression is told by the first bytes, not the name (a pipe has
 * none). A regular file is read by the decompressor itself (its stdin is the archive); a pipe passes
 * through this process. Memory: one read buffer and the entry being written, whatever the archive's size.
 */
export async function readArchive(file: string, onEntry: (entry: ArchiveEntry) => TarContent | undefined, options: ReadArchiveOptions = {}): Promise<void> {
  const { handle, total, regular } = await openArchive(file, options.signal);
  const phase = options.phase ?? 'reading';
  let current: string | undefined;
  const reader = new TarReader((raw) => {
    // A copy: the header's path is a slice of its 100-byte field's string (or of a PAX header's text), which
    // the slice would keep alive for as long as the entry is kept.
    const rawPath = Buffer.from(raw.path).toString();
    const normal = normalizeEntryPath(rawPath);
    current = rawPath;
    return onEntry({
      path: 'path' in normal ? normal.path : rawPath,
      rawPath,
      pathProblem: 'reason' in normal ? normal.reason : undefined,
      type: raw.type,
      size: raw.size,
      mode: raw.mode,
      mtime: raw.mtime === undefined || Number.isNaN(raw.mtime.getTime()) ? undefined : raw.mtime.getTime() / 1000,
      linkpath: raw.linkpath,
    });
  });
  try {
    await new Promise<void>((resolvePromise, reject) => {
      /** Compressed bytes read: by this process (a pipe, Node's gunzip), or by the child from the shared descriptor. */
      let piped = 0;
      let childReadsFile = false;
      const read = () => (childReadsFile ? (sharedOffset(handle.fd) ?? 0) : piped);
      const stops: Array<() => void> = [];
      let done = false;
      const fail = (error: unknown) => {
        if (done) return;
        done = true;
        for (const stop of stops) stop();
        reader.abort(); // closes the file being staged
        options.signal?.removeEventListener('abort', abort);
        if (options.signal?.aborted) return reject(cancelledError(`reading ${file}`));
        if (error instanceof ExpmanError) return reject(error);
        const where = current ? `, while reading ${current}` : '';
        const message = (error as Error).message ?? String(error);
        const at = read();
        reject(new ExpmanError('ARCHIVE_INVALID', `${file}: damaged or not a .tar.gz or .tar.zst (${message}) at byte ${at}${total ? ` of ${total}` : ''}${where}`, { file, entry: current }));
      };
      const abort = () => fail(cancelledError(`reading ${file}`));
      options.signal?.addEventListener('abort', abort, { once: true });
      if (options.signal?.aborted) return abort();

      let lastReport = 0;
      const report = (end = false) => {
        const now = Date.now();
        if (!options.onProgress || (!end && now - lastReport < 100)) return;
        lastReport = now;
        const at = end ? Math.max(total, read()) : read();
        options.onProgress({ phase, done: at, total: Math.max(total, at), unit: 'bytes' });
      };
      /** Decompressed bytes: parsed, and each entry's content written, before the next read. */
      const onData = (chunk: Buffer) => {
        if (done) return;
        try {
          reader.write(chunk);
        } catch (error) {
          return fail(error);
        }
        report();
      };
      const onEnd = () => {
        if (done) return;
        try {
          reader.end();
        } catch (error) {
          return fail(error);
        }
        done = true;
        options.signal?.removeEventListener('abort', abort);
        report(true);
        resolvePromise();
      };

      /**
       * Starts the decompressor once the first bytes are known. Returns where the archive's bytes are to be
       * written (a pipe, or Node's gunzip), 'reads-file' when the child reads the archive itself, or
       * undefined when it could not start (already failed).
       */
      const start = (head: Buffer): Writable | 'reads-file' | undefined => {
        let decompressor;
        try {
          decompressor = decompressorFor(head);
        } catch (error) {
          fail(error);
          return undefined;
        }
        if (decompressor === 'node-gunzip') {
          const gunzip = createGunzip();
          stops.push(() => gunzip.destroy());
          gunzip.on('data', onData);
          gunzip.on('error', fail);
          gunzip.on('end', onEnd);
          return gunzip;
        }
        const { command, args, name } = decompressor;
        const pipe = privatePipe();
        let child: ChildProcess;
        try {
          child = spawn(command, args, { stdio: [regular ? handle.fd : 'pipe', pipe ? pipe.writeFd : 'pipe', 'pipe'] });
        } catch (error) {
          if (pipe) [pipe.readFd, pipe.writeFd].forEach((fd) => closeSync(fd));
          fail(new ExpmanError('ARCHIVE_INVALID', `could not start ${command}: ${(error as Error).message}`, { file: command }));
          return undefined;
        }
        childReadsFile = regular;
        stops.push(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        });
        const stderr = collectStderr(child);
        let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        let ended = false;
        // Both the end of its output and its exit: a non-zero exit is the error, with the tool's own reason.
        const settle = () => {
          if (!exit || !ended) return;
          if (exit.code === 0) return onEnd();
          fail(new Error(`${name}: ${lastLine(stderr(), name) || (exit.signal ?? `exit ${exit.code}`)}`));
        };
        child.on('error', (error) => fail(new ExpmanError(name === 'zstd' ? 'ZSTD_MISSING' : 'ARCHIVE_INVALID', `could not start ${command}: ${error.message}`, { file: command })));
        child.on('close', (code, signal) => {
          exit = { code, signal };
          settle();
        });
        let output: Readable;
        if (pipe) {
          closeSync(pipe.writeFd); // the child has its own copy: the read end sees the end when the child exits
          const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
          output = new Socket({ fd: pipe.readFd, readable: true, writable: false, onread: { buffer, callback: (n: number) => (onData(buffer.subarray(0, n)), !done) } });
        } else {
          output = child.stdout!;
          output.on('data', onData);
        }
        stops.push(() => output.destroy());
        output.on('error', fail);
        output.on('end', () => {
          ended = true;
          settle();
        });
        if (!child.stdin) return 'reads-file';
        child.stdin.on('error', () => undefined); // the child's exit status says what went wrong
        return child.stdin;
      };

      /**
       * Reads the archive here and writes it to the decompressor, with backpressure: a pipe (its first bytes
       * choose the decompressor), or a file for Node's gunzip (`sink` given).
       */
      const feed = (sink: Writable | undefined) => {
        let head = Buffer.alloc(0);
        const input = createReadStream('', { fd: handle, autoClose: false, start: sink ? 0 : undefined, highWaterMark: 1 << 16 });
        stops.push(() => input.destroy());
        const write = (target: Writable, chunk: Buffer) => {
          if (!target.write(chunk)) {
            input.pause();
            target.once('drain', () => input.resume());
          }
        };
        input.on('data', (data) => {
          const chunk = data as Buffer;
          piped += chunk.length;
          if (done) return;
          if (sink) return write(sink, chunk);
          head = Buffer.concat([head, chunk]);
          if (head.length < MAGIC_BYTES) return;
          const started = start(head);
          if (started === undefined || started === 'reads-file') return; // reads-file: not for a pipe
          sink = started;
          write(sink, head);
        });
        input.on('error', fail);
        input.on('end', () => {
          if (done) return;
          if (!sink) {
            // Shorter than any magic number: read as gzip, whose own check names it.
            const started = start(head);
            if (started === undefined || started === 'reads-file') return;
            sink = started;
            sink.write(head);
          }
          sink.end();
        });
      };

      if (!regular) return feed(undefined);
      // A regular file: its first bytes are read at offset 0 without moving the descriptor's offset, which
      // the child then reads from (the archive's bytes never pass through this process).
      const head = Buffer.alloc(MAGIC_BYTES);
      let n: number;
      try {
        n = readSync(handle.fd, head, 0, MAGIC_BYTES, 0);
      } catch (error) {
        return fail(error);
      }
      const started = start(head.subarray(0, n));
      if (started !== undefined && started !== 'reads-file') feed(started);
    });
  } finally {
    await handle.close().catch(() => undefined);
  }
}
