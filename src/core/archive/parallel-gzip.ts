import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export interface ParallelGzipOptions {
  /** zlib level; 6 is gzip's and pigz's default. */
  level?: number;
  /** Uncompressed bytes per gzip member. */
  blockSize?: number;
  /** Members being compressed at once; bounds memory to about 2 × concurrency × blockSize. */
  concurrency?: number;
}

/**
 * Compresses a byte stream into a sequence of independent gzip members, several at a time, and writes
 * them in order. Concatenated members are one valid gzip stream (RFC 1952 §2.2): gzip, GNU tar -z and
 * Node's gunzip read them as a single file. zlib's asynchronous calls run on libuv's thread pool, so the
 * members compress in parallel off the main thread without a worker script to bundle (the CLI and the
 * Electron main process are both single-file bundles).
 *
 * The caller fills `buffer()` directly (file reads land in it, no copy) and calls `commit(n)`.
 */
export class ParallelGzipWriter {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private block: Buffer;
  private used = 0;
  private readonly inFlight: Array<Promise<Buffer>> = [];
  private position = 0;
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
    this.concurrency = options.concurrency ?? Math.max(2, availableParallelism() + 1);
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

  /** Compresses what is left, writes every member in order. */
  async finish(): Promise<void> {
    if (this.used > 0) await this.flushBlock();
    while (this.inFlight.length) await this.writeOldest();
  }

  /** Lets in-flight compressions settle (their results are dropped), for cancellation and errors. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
  }

  private async flushBlock(): Promise<void> {
    const full = this.block.subarray(0, this.used);
    const member = gzipAsync(full, { level: this.level });
    member.catch(() => undefined); // awaited in order later; this only stops an early rejection counting as unhandled
    this.inFlight.push(member);
    this.block = Buffer.allocUnsafe(this.blockSize);
    this.used = 0;
    while (this.inFlight.length >= this.concurrency) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const member = await this.inFlight.shift()!;
    let offset = 0;
    while (offset < member.length) {
      const { bytesWritten } = await this.out.write(member, offset, member.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
    this.bytesOut += member.length;
  }
}
