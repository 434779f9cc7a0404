/**
 * Coalesces a stream of items into batches delivered at most once per interval, so a fast training run
 * (hundreds of batch events a second) reaches the UI as a few messages a second. `flush()` delivers what
 * is pending at once (used before a job's final state change so nothing arrives after it).
 */
export class Batcher<T> {
  private pending: T[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastFlush = 0;

  constructor(
    private readonly deliver: (items: T[]) => void,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.lastFlush = this.now();
    this.deliver(items);
  }
}
