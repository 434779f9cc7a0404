import type { LogLine } from '../../../shared/logs';

/** Rows fetched per request: a few screens, so scrolling a screen rarely needs a round trip. */
export const BLOCK_ROWS = 256;
/** Blocks kept (LRU): 64 × 256 = 16,384 rows, a few MB at most. */
export const MAX_BLOCKS = 64;

export interface Block {
  lines: LogLine[];
  /** Whether the block can never change: it is full and does not hold the file's unfinished last line.
   * Other blocks are dropped when the log changes and read again. */
  final: boolean;
}

/** A least-recently-used cache of row blocks (Map keeps insertion order; a hit moves to the end). */
export class BlockCache {
  private blocks = new Map<number, Block>();

  constructor(private readonly capacity = MAX_BLOCKS) {}

  get(index: number): Block | undefined {
    const block = this.blocks.get(index);
    if (block) {
      this.blocks.delete(index);
      this.blocks.set(index, block);
    }
    return block;
  }

  has(index: number): boolean {
    return this.blocks.has(index);
  }

  set(index: number, block: Block): void {
    this.blocks.delete(index);
    this.blocks.set(index, block);
    while (this.blocks.size > this.capacity) this.blocks.delete(this.blocks.keys().next().value!);
  }

  /** Drops every block that may change when the log grows. */
  dropUnfinal(): void {
    for (const [index, block] of this.blocks) if (!block.final) this.blocks.delete(index);
  }

  clear(): void {
    this.blocks.clear();
  }

  /** The line at `row`, if its block is cached (does not count as a use). */
  peek(row: number): LogLine | undefined {
    return this.blocks.get(Math.floor(row / BLOCK_ROWS))?.lines[row % BLOCK_ROWS];
  }

  get size(): number {
    return this.blocks.size;
  }
}
