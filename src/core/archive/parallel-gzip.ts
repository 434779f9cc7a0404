import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { GzipWorkers } from './gzip-workers.js';

export interface ParallelGzipOptions {
  /** zlib level; 6 is gzip's and pigz's default. */
  level?: number;
  /** Uncompressed bytes per gzip member. */
  blockSize?: number;
  /** Compressing threads (default: one per core). */
  threads?: number;
  /** Blocks compressing or waiting to be written; bounds memory to about 2 × concurrency × blockSize. */
  concurrency?: number;
}

/**
 * Compresses a byte stream into a sequence of independent gzip members, several at a time on worker
 * threads, and writes them in order. Concatenated members are one valid gzip stream (RFC 1952 §2.2):
 * gzip, GNU tar -z and Node's gunzip read them as a single file. With 1 MiB members the archive is as
 * small as one stream's (each member loses only the first 32 KiB of history).
 *
 * The caller fills `buffer()` directly (file reads land in it, no copy) and calls `commit(n)`.
 */
export class ParallelGzipWriter {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private block: Buffer;
  private used = 0;
  /** One promise per block: compressed, then written after every earlier block. */
  private readonly pending: Array<Promise<void>> = [];
  private lastWrite: Promise<void> = Promise.resolve();
  private position = 0;
  private readonly workers: GzipWorkers;
  /** Blocks back from the workers, reused instead of allocating new ones. */
  private readonly free: Buffer[] = [];
  /** Uncompressed bytes taken in. */
  bytesIn = 0;
  /** Compressed bytes written. */
  bytesOut = 0;

  constructor(
    private readonly out: FileHandle,
    options: ParallelGzipOptions = {},
  ) {
    this.level = options.level ?? 6;
    this.blockSize = options.blockSize ?? 1 << 20;
    const threads = options.threads ?? availableParallelism();
    this.concurrency = options.concurrency ?? threads * 3 + 2;
    this.workers = new GzipWorkers(this.level, threads);
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  /** Free space in the current block, to read into; never empty. */
  async space(): Promise<Buffer> {
    if (this.used === this.blockSize) await this.flushBlock();
    return this.block.subarray(this.used);
  }

  /** Marks `n` bytes of the last `space()` as filled. */
  commit(n: number): void {
    this.used += n;
    this.bytesIn += n;
  }

  async write(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const space = await this.space();
      const n = Math.min(space.length, data.length - offset);
      data.copy(space, 0, offset, offset + n);
      this.commit(n);
      offset += n;
    }
  }

  /** Compresses what is left and waits until every member is written, in order. */
  async finish(): Promise<void> {
    if (this.used > 0) await this.flushBlock();
    try {
      while (this.pending.length) await this.pending.shift();
    } finally {
      await this.workers.close();
    }
  }

  /** Lets in-flight work settle (its results are dropped), for cancellation and errors. */
  async abandon(): Promise<void> {
    await this.workers.close();
    await Promise.allSettled(this.pending.splice(0));
  }

  private async flushBlock(): Promise<void> {
    const full = this.used === this.blockSize ? this.block : Buffer.from(this.block.subarray(0, this.used));
    const compressed = this.workers.compress(full);
    compressed.catch(() => undefined); // awaited in the write chain; this only stops an early rejection counting as unhandled
    // Writes are chained so members land in order, while the caller goes on reading the next block.
    const written = this.lastWrite.then(async () => {
      const { member, block } = await compressed;
      if (block.length === this.blockSize) this.free.push(block);
      await this.append(member);
    });
    written.catch(() => undefined); // awaited in order below; this only stops an early rejection counting as unhandled
    this.lastWrite = written;
    this.pending.push(written);
    this.block = this.free.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.used = 0;
    // Bounded queue: memory stays at about 2 × concurrency × blockSize whatever the input size.
    while (this.pending.length >= this.concurrency) await this.pending.shift();
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
