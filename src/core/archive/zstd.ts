import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Duplex } from 'node:stream';
import { ExpmanError } from '../errors.js';
import { findOnPath } from '../find-on-path.js';
import { BlockWriter } from './block-writer.js';

/** The zstd command on PATH, or one clear line saying it is needed. */
export function findZstd(env: NodeJS.ProcessEnv = process.env): string {
  const zstd = findOnPath('zstd', env);
  if (!zstd) throw new ExpmanError('ZSTD_MISSING', 'zstd is not installed: .tar.zst archives need the zstd command (apt install zstd, brew install zstd); or use --format gz');
  return zstd;
}

export interface ZstdOptions {
  /** zstd level; 1 is its fastest regular level, and on expman's data (float32 weights, logs) as small as 3. */
  level?: number;
  /** Compressing threads (zstd -T; default: one per core). */
  threads?: number;
  /** Uncompressed bytes handed to zstd per pipe write. */
  blockSize?: number;
}

/** The last line a tool printed on stderr (its error), without its "zstd: " (or "gzip: stdin: ") prefix. */
function lastLine(stderr: string, name = 'zstd'): string {
  const prefix = name === 'zstd' ? /^zstd: (\/\*stdin\*\\: )?/ : new RegExp(`^${name}: (stdin: )?`);
  return stderr.trim().split('\n').pop()?.replace(prefix, '') ?? '';
}

/** Keeps the end of a child's stderr (its error), at most 4 KiB. */
function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4096);
  });
  return () => text;
}

/**
 * Writes a byte stream through the system's zstd (multi-threaded: -T) straight into `out`: zstd writes the
 * file itself, so the compressed bytes never pass through this process. Same interface as
 * ParallelGzipWriter: fill `space()`, `commit(n)`. Memory: a few blocks of input waiting in the pipe here,
 * zstd's own window and job buffers there (a few MiB a thread at level 1).
 */
export class ZstdWriter extends BlockWriter {
  private readonly child: ChildProcess;
  /** Blocks rotate: one is filled while the others are in the pipe; a block is reused once its write is done. */
  private readonly blocks: Buffer[];
  private readonly writes: Array<Promise<void> | undefined>;
  private current = 0;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly stderr: () => string;
  private failure: Error | undefined;
  bytesOut = 0;

  constructor(
    zstd: string,
    private readonly out: FileHandle,
    options: ZstdOptions = {},
  ) {
    super(options.blockSize ?? 1 << 20);
    const level = options.level ?? 1;
    const threads = Math.max(1, options.threads ?? availableParallelism());
    this.blocks = Array.from({ length: 3 }, () => Buffer.allocUnsafe(this.blockSize));
    this.writes = this.blocks.map(() => undefined);
    // -q: no progress line; -c: to stdout, which is the archive's (temporary) file itself.
    this.child = spawn(zstd, ['-q', `-${level}`, `-T${threads}`, '-c'], { stdio: ['pipe', out.fd, 'pipe'] });
    this.stderr = collectStderr(this.child);
    this.exited = new Promise((resolveExit) => {
      this.child.on('error', (error) => {
        this.failure ??= new ExpmanError('ZSTD_MISSING', `could not start ${zstd}: ${error.message}`, { file: zstd });
        resolveExit({ code: null, signal: null });
      });
      this.child.on('close', (code, signal) => resolveExit({ code, signal }));
    });
    // A zstd that died is reported by its exit status and stderr, not by the pipe's EPIPE.
    this.child.stdin!.on('error', () => undefined);
  }

  protected currentBlock(): Buffer {
    return this.blocks[this.current]!;
  }

  async finish(): Promise<void> {
    if (this.used > 0) await this.flushBlock();
    await Promise.all(this.writes.filter((write) => write !== undefined));
    this.child.stdin!.end();
    const { code, signal } = await this.exited;
    if (this.failure) throw this.failure;
    if (code !== 0) throw new Error(`zstd failed (${signal ?? `exit ${code}`}): ${lastLine(this.stderr()) || 'no message'}`);
    this.bytesOut = (await this.out.stat()).size;
  }

  async abandon(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
    await Promise.allSettled(this.writes.filter((write) => write !== undefined));
  }

  protected async flushBlock(): Promise<void> {
    if (this.failure) throw this.failure;
    const index = this.current;
    const chunk = this.blocks[index]!.subarray(0, this.used);
    const written = new Promise<void>((resolveWrite, reject) => {
      this.child.stdin!.write(chunk, (error) => {
        if (!error) return resolveWrite();
        // The pipe broke: zstd ended; its own message says why.
        void this.exited.then(({ code, signal }) => reject(this.failure ?? new Error(`zstd stopped (${signal ?? `exit ${code}`}): ${lastLine(this.stderr()) || error.message}`)));
      });
    });
    written.catch((error: Error) => (this.failure ??= error));
    this.writes[index] = written;
    this.current = (index + 1) % this.blocks.length;
    this.used = 0;
    // The next block may still be in the pipe: it is reused only once zstd has taken it.
    await this.writes[this.current];
  }
}

/**
 * A duplex stream that decompresses through `zstd -d` (see childDecoder): a damaged or truncated archive is
 * an error with zstd's message.
 */
export function zstdDecoder(zstd: string): Duplex {
  return childDecoder(zstd, ['-d', '-q', '-c'], 'zstd');
}

/**
 * A duplex stream that decompresses through a child process (`zstd -d`, `pigz -d`, `gzip -d`): what is
 * written goes to its stdin, its stdout is read. The child decompresses on its own core while this process
 * parses and writes, as `tar xzf` does with gzip. The readable side ends only after the child exited
 * cleanly; a non-zero exit is an error "<name>: <its last stderr line>". Destroying the stream ends it.
 */
export function childDecoder(command: string, args: string[], name: string): Duplex {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = collectStderr(child);
  const stdin = child.stdin;
  const stdout = child.stdout;
  stdin.on('error', () => undefined); // the child's exit status says what went wrong
  const duplex = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      if (stdin.write(chunk)) done();
      else stdin.once('drain', () => done());
    },
    final(done) {
      stdin.end();
      done();
    },
    read() {
      stdout.resume();
    },
    destroy(error, done) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      done(error);
    },
  });
  stdout.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) stdout.pause();
  });
  child.on('error', (error) => duplex.destroy(new ExpmanError(name === 'zstd' ? 'ZSTD_MISSING' : 'ARCHIVE_INVALID', `could not start ${command}: ${error.message}`, { file: command })));
  child.on('close', (code, signal) => {
    if (duplex.destroyed) return;
    if (code === 0) duplex.push(null);
    else duplex.destroy(new Error(`${name}: ${lastLine(stderr(), name) || (signal ?? `exit ${code}`)}`));
  });
  return duplex;
}
