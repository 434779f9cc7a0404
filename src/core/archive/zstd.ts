import { spawn, type ChildProcess } from 'node:child_process';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { ExpmanError } from '../errors.js';
import { findOnPath } from '../find-on-path.js';
import { BlockWriter } from './block-writer.js';
import { collectStderr, lastLine } from './child-output.js';

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
