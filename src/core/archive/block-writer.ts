/**
 * A compressing sink that is filled in place: callers read file data straight into `space()` and
 * `commit()` what they read (no copy), or `write()` a buffer they already hold. Each full block is handed
 * on by the subclass's `flushBlock()` (to gzip workers, to zstd's pipe), which also starts an empty one.
 */
export abstract class BlockWriter {
  /** Bytes filled in the current block. */
  protected used = 0;
  /** Uncompressed bytes taken. */
  bytesIn = 0;

  protected constructor(protected readonly blockSize: number) {}

  /** The block being filled. */
  protected abstract currentBlock(): Buffer;

  /** Hands the first `used` bytes of the current block on and sets `used` to 0 on an empty block. */
  protected abstract flushBlock(): Promise<void>;

  /** Free space in the current block, to read into; never empty. */
  async space(): Promise<Buffer> {
    if (this.used === this.blockSize) await this.flushBlock();
    return this.currentBlock().subarray(this.used);
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
}
