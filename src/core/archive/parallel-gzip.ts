import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { gzip } from 'node:zlib';
import { BlockWriter } from './block-writer.js';

export interface ParallelGzipOptions {
  /** zlib level; 6 is gzip's and pigz's default. */
  level?: number;
  /** Uncompressed bytes per gzip member. */
  blockSize?: number;
  /** Compressions at once (default: one per core, at most libuv's thread pool less one). */
  threads?: number;
}

/**
 * Compressed blocks that may wait for an earlier member's write beyond those compressing: slack for a
 * thread that finishes out of turn, so it can start on the next block at once.
 */
const WAITING = 2;

/** Output space zlib gets for one member: a member never grows past its input plus a few bytes a 16 KiB stored block. */
function memberBound(blockSize: number): number {
  return blockSize + (blockSize >> 10) + 1024;
}

/**
 * libuv's thread pool runs zlib's asynchronous calls and the file reads that feed them. Compressions
 * occupy at most all but one of its threads, so a read never waits behind them (the cores stay busy).
 */
function poolThreads(): number {
  const configured = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}

export function defaultGzipThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), poolThreads() - 1));
}

/**
 * Compresses a byte stream into a sequence of independent gzip members, several at a time on libuv's
 * thread pool (zlib's asynchronous API), and writes them in order. Concatenated members are one valid gzip
 * stream (RFC 1952 §2.2): gzip, GNU tar -z and Node's gunzip read them as a single file. With 1 MiB members
 * the archive is as small as one stream's (each member loses only the first 32 KiB of history).
 *
 * Memory is bounded by construction: `threads + WAITING + 2` input blocks exist in all (one being filled, the rest
 * compressing or waiting for their member to be written), allocated once and reused; a member is written
 * as soon as the members before it are. No worker threads: each would be a V8 isolate of its own (tens of
 * MiB), where a zlib stream on the pool costs its ~300 KiB of state.
 *
 * The caller fills `space()` directly (file reads land in it, no copy) and calls `commit(n)`.
 */
export class ParallelGzipWriter extends BlockWriter {
  private readonly level: number;
  private readonly threads: number;
  private block: Buffer;
  /** Blocks handed over whose member is not written yet (compressing, queued for it, or waiting to be written). */
  private inFlight = 0;
  /** Compressions running on the pool, at most `threads`; the next ones wait here. */
  private compressing = 0;
  private readonly waitingToCompress: Array<() => void> = [];
  private wake: (() => void) | undefined;
  /** The newest member's write; each waits for the one before, so members land in order (and none after a failure). */
  private lastWrite: Promise<void> = Promise.resolve();
  private position = 0;
  /** Blocks whose member is written, ready to be filled again. */
  private readonly free: Buffer[] = [];
  private failure: Error | undefined;
  private closed = false;
  /** Compressed bytes written. */
  bytesOut = 0;

  constructor(
    private readonly out: FileHandle,
    options: ParallelGzipOptions = {},
  ) {
    super(options.blockSize ?? 1 << 20);
    this.level = options.level ?? 6;
    this.threads = Math.max(1, options.threads ?? defaultGzipThreads());
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  protected currentBlock(): Buffer {
    return this.block;
  }

  /** Compresses what is left and waits until every member is written, in order. */
  async finish(): Promise<void> {
    if (this.used > 0) await this.flushBlock();
    await this.lastWrite;
    this.closed = true;
  }

  /** Lets in-flight work settle (its results are dropped), for cancellation and errors. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.failure ??= new Error('archive abandoned');
    await this.lastWrite.catch(() => undefined);
  }

  /**
   * One member, once fewer than `threads` compressions run: more would take the pool threads the file
   * reads need (the reads would queue behind compressions and leave the cores idle).
   */
  private compress(data: Buffer): Promise<Buffer> {
    return new Promise((resolveMember, reject) => {
      const start = () => {
        this.compressing++;
        // One output chunk big enough for the whole member: zlib then hands back that chunk, not a
        // concatenation of 16 KiB pieces (half the garbage per block).
        gzip(data, { level: this.level, chunkSize: memberBound(data.length) }, (error, member) => {
          this.compressing--;
          this.waitingToCompress.shift()?.();
          if (error) reject(error);
          else resolveMember(member);
        });
      };
      if (this.compressing < this.threads) start();
      else this.waitingToCompress.push(start);
    });
  }

  protected async flushBlock(): Promise<void> {
    this.throwIfFailed();
    const full = this.block.subarray(0, this.used);
    const compressed = this.compress(full);
    compressed.catch(() => undefined); // awaited in the write chain; this only stops an early rejection counting as unhandled
    // Writes are chained so members land in order, while the caller goes on reading the next block.
    const written = this.lastWrite.then(async () => {
      const member = await compressed;
      if (this.closed) return;
      await this.append(member);
    });
    this.inFlight++;
    written
      .then(
        () => void this.free.push(this.blockOf(full)),
        (error: Error) => void (this.failure ??= error),
      )
      .finally(() => {
        this.inFlight--;
        this.wake?.();
      });
    this.lastWrite = written;
    // Backpressure: at most threads + WAITING blocks out (compressing, or waiting for an earlier member's
    // write); past that, the next block to fill is the first one whose member is written.
    while (!this.failure && this.free.length === 0 && this.inFlight > this.threads + WAITING) await new Promise<void>((wake) => (this.wake = wake));
    this.wake = undefined;
    this.throwIfFailed();
    this.block = this.free.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.used = 0;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** The whole block a (possibly shorter) filled view belongs to. */
  private blockOf(view: Buffer): Buffer {
    return Buffer.from(view.buffer, view.byteOffset, this.blockSize);
  }

  private async append(member: Buffer): Promise<void> {
    let offset = 0;
    while (offset < member.length) {
      const { bytesWritten } = await this.out.write(member, offset, member.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
    this.bytesOut += member.length;
  }
}
