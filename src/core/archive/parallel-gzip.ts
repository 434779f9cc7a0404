import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { constants, createGzip, gzip, type Gzip } from 'node:zlib';
import { BlockWriter } from './block-writer.js';

export interface ParallelGzipOptions {
  /** zlib level; 6 is gzip's and pigz's default. */
  level?: number;
  /** Uncompressed bytes per gzip member. */
  blockSize?: number;
  /** Compressions at once (default: one more than the cores, at most libuv's thread pool less one). */
  threads?: number;
}

/**
 * Members that may wait for an earlier member's write beyond those compressing: slack for a thread that
 * finishes out of turn, so it can start on the next block at once.
 */
const WAITING = 1;

/** Output space zlib gets for one member: a member never grows past its input plus a few bytes a 16 KiB stored block. */
function memberBound(blockSize: number): number {
  return blockSize + (blockSize >> 10) + 1024;
}

/**
 * libuv's thread pool runs zlib's asynchronous calls and the archive's writes. Compressions occupy at most
 * all but one of its threads, so a write never waits behind them (the cores stay busy).
 */
function poolThreads(): number {
  const configured = Number(process.env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}

/**
 * One compression more than there are cores (within the pool): a finished member is handed on through the
 * event loop, which is busy reading and hashing files, and a queued compression keeps the cores busy
 * meanwhile (1 GiB on 2 cores: 15.7–17.1 s with 3, 17.8–21.2 s with 2; pigz 16.9–17.7 s in the same runs).
 */
export function defaultGzipThreads(): number {
  return Math.max(1, Math.min(availableParallelism() + 1, poolThreads() - 1));
}

/** The fields of Node's zlib stream that hold its output buffer (lib/zlib.js; the same from Node 10 to 24). */
interface ZlibOutput {
  _outBuffer?: unknown;
  _outOffset?: unknown;
}

/**
 * One zlib stream, reused member after member (deflateReset between them), and the one output buffer it
 * compresses every member into. `zlib.gzip()` allocates a fresh member-sized buffer and a fresh zlib state
 * per call: at 1 MiB a member that is a gigabyte of garbage per gigabyte archived, which V8 frees only when
 * its collector next runs (it kept 40 MiB of dead members) and which left the C heap fragmented (another
 * 20 MiB). Here a member lives in the stream's own buffer until the next one replaces it.
 *
 * Node's stream writes its output at `_outOffset` of `_outBuffer` and moves on to a fresh buffer only when
 * that one is full; with room for a whole member, setting the offset back to 0 makes it reuse the buffer.
 * Should a Node version lack those fields, or a member not fit, the member comes from `zlib.gzip()`
 * instead: the same bytes, only without the reuse.
 */
class MemberCompressor {
  private readonly stream: Gzip;
  private readonly output: ZlibOutput;

  constructor(
    private readonly level: number,
    private readonly bound: number,
  ) {
    this.stream = createGzip({ level, chunkSize: bound });
    this.output = this.stream as unknown as ZlibOutput;
    // Flowing with no reader: the pieces it pushes are views of the output buffer, read from there below.
    this.stream.resume();
    this.stream.on('error', () => undefined); // reported to the member being compressed (below)
  }

  /** Compresses one block into one gzip member. The member is valid until the next `compress` call. */
  compress(block: Buffer): Promise<Buffer> {
    const buffer = this.output._outBuffer;
    if (!Buffer.isBuffer(buffer) || typeof this.output._outOffset !== 'number' || buffer.length < this.bound) return this.fresh(block);
    this.output._outOffset = 0;
    return new Promise((resolveMember, reject) => {
      const failed = (error: Error) => reject(error);
      this.stream.once('error', failed);
      this.stream.write(block);
      this.stream.flush(constants.Z_FINISH, () => {
        this.stream.off('error', failed);
        if (this.stream.destroyed) return reject(new Error('gzip stream closed'));
        const length = this.output._outOffset;
        const intact = this.output._outBuffer === buffer && typeof length === 'number';
        // deflateReset: the next write starts a new member. Every zlib stream has reset() (Node's typings
        // declare it only for Deflate and Inflate).
        (this.stream as unknown as { reset(): void }).reset();
        if (intact) resolveMember(buffer.subarray(0, length));
        else this.fresh(block).then(resolveMember, reject);
      });
    });
  }

  close(): void {
    this.stream.destroy();
  }

  private fresh(block: Buffer): Promise<Buffer> {
    return new Promise((resolveMember, reject) => gzip(block, { level: this.level, chunkSize: this.bound }, (error, member) => (error ? reject(error) : resolveMember(member))));
  }
}

/**
 * Compresses a byte stream into a sequence of independent gzip members, several at a time on libuv's
 * thread pool (zlib's asynchronous API), and writes them in order. Concatenated members are one valid gzip
 * stream (RFC 1952 §2.2): gzip, GNU tar -z and Node's gunzip read them as a single file. With 1 MiB members
 * the archive is as small as one stream's (each member loses only the first 32 KiB of history).
 *
 * Memory is fixed: `threads + 2` input blocks (one being filled, the others compressing or spare) and
 * `threads + WAITING` compressors, each a zlib stream with its member-sized output buffer (a member stays
 * there until it is written), all allocated once and reused. No worker threads: each would be a V8 isolate
 * of its own (tens of MiB), where a zlib stream on the pool costs its ~300 KiB of state.
 *
 * The caller fills `space()` directly (file reads land in it, no copy) and calls `commit(n)`.
 */
export class ParallelGzipWriter extends BlockWriter {
  private readonly level: number;
  private readonly threads: number;
  private block: Buffer;
  /** Input blocks whose compression is done, ready to be filled again, and how many exist. */
  private readonly freeBlocks: Buffer[] = [];
  private blocks = 1;
  /** Compressors whose last member is written, and how many exist. */
  private readonly freeCompressors: MemberCompressor[] = [];
  private readonly compressors: MemberCompressor[] = [];
  /** Compressions running on the pool, at most `threads`; the next ones wait here. */
  private compressing = 0;
  private readonly waitingToCompress: Array<() => void> = [];
  /** Woken whenever a block or a compressor becomes free, or something failed. */
  private wake: (() => void) | undefined;
  /** The newest member's write; each waits for the one before, so members land in order (and none after a failure). */
  private lastWrite: Promise<void> = Promise.resolve();
  private position = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Compressed bytes written. */
  bytesOut = 0;

  constructor(
    private readonly out: FileHandle,
    options: ParallelGzipOptions = {},
  ) {
    super(options.blockSize ?? 1 << 18);
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
    this.throwIfFailed();
    this.release();
  }

  /** Lets in-flight work settle (its results are dropped), for cancellation and errors. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.failure ??= new Error('archive abandoned');
    await this.lastWrite.catch(() => undefined);
    this.release();
  }

  private release(): void {
    this.closed = true;
    for (const compressor of this.compressors) compressor.close();
  }

  /** Waits until `ready()` holds or something failed. */
  private async until(ready: () => boolean): Promise<void> {
    while (!this.failure && !ready()) await new Promise<void>((wake) => (this.wake = wake));
    this.wake = undefined;
    this.throwIfFailed();
  }

  private notify(): void {
    this.wake?.();
  }

  /** A compressor whose previous member is written (its buffer is free), or a new one while there are fewer than allowed. */
  private async takeCompressor(): Promise<MemberCompressor> {
    await this.until(() => this.freeCompressors.length > 0 || this.compressors.length < this.threads + WAITING);
    const free = this.freeCompressors.pop();
    if (free) return free;
    const created = new MemberCompressor(this.level, memberBound(this.blockSize));
    this.compressors.push(created);
    return created;
  }

  /** One member, once fewer than `threads` compressions run: more would take the pool threads the archive's writes need. */
  private async compress(compressor: MemberCompressor, data: Buffer): Promise<Buffer> {
    if (this.compressing >= this.threads) await new Promise<void>((start) => this.waitingToCompress.push(start));
    this.compressing++;
    try {
      return await compressor.compress(data);
    } finally {
      this.compressing--;
      this.waitingToCompress.shift()?.();
    }
  }

  protected async flushBlock(): Promise<void> {
    this.throwIfFailed();
    const full = this.block.subarray(0, this.used);
    const whole = this.block;
    const compressor = await this.takeCompressor();
    const compressed = this.compress(compressor, full);
    // The input block is free once its member is made; the member stays in the compressor until written.
    compressed.then(
      () => {
        this.freeBlocks.push(whole);
        this.notify();
      },
      () => undefined, // reported by the write chain below
    );
    // Writes are chained so members land in order, while the caller goes on reading the next block.
    const written = this.lastWrite.then(async () => {
      const member = await compressed;
      if (this.closed) return;
      await this.append(member);
    });
    written.then(
      () => void this.freeCompressors.push(compressor),
      (error: Error) => void (this.failure ??= error),
    ).finally(() => this.notify());
    this.lastWrite = written;
    // Backpressure: at most threads + 2 input blocks; past that, the next block to fill is the first one compressed.
    await this.until(() => this.freeBlocks.length > 0 || this.blocks < this.threads + 2);
    const next = this.freeBlocks.pop();
    if (next) this.block = next;
    else {
      this.block = Buffer.allocUnsafe(this.blockSize);
      this.blocks++;
    }
    this.used = 0;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
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
