/**
 * Growable columns of per-line data: the byte offset where each line starts (Float64: files past 4 GiB)
 * and its level code. 9 bytes a line, so a million-line log costs ~9 MB of typed arrays and no strings.
 */
export class LineTable {
  starts = new Float64Array(1024);
  levels = new Uint8Array(1024);
  length = 0;

  push(start: number, level: number): void {
    if (this.length === this.starts.length) this.grow(this.length * 2);
    this.starts[this.length] = start;
    this.levels[this.length] = level;
    this.length++;
  }

  /** Replaces the columns with copies of `capacity` entries (the indexer's hot loop writes them directly). */
  grow(capacity: number): void {
    const starts = new Float64Array(capacity);
    starts.set(this.starts);
    const levels = new Uint8Array(capacity);
    levels.set(this.levels);
    this.starts = starts;
    this.levels = levels;
  }
}

/** A growable list of unsigned 32-bit integers (row → line number maps of the level filter). */
export class UintList {
  values = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const values = new Uint32Array(this.length * 2);
      values.set(this.values);
      this.values = values;
    }
    this.values[this.length++] = value;
  }

  /** Index of the first value ≥ `value` (the list is ascending). */
  lowerBound(value: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
