import type { LogInfo, LogReadRequest, LogSearchRequest, LogSearchResult, LogWindow } from '../../shared/logs.js';
import { LogIndex } from './log-index.js';

interface Entry {
  index: Promise<LogIndex>;
  listeners: Set<(info: LogInfo) => void>;
  stopFollowing?: () => void;
}

/**
 * The open logs of a process (the app's main process, the browser transport's server): one LogIndex per
 * file, kept while it is used, so reopening a log or following it costs no re-indexing; one polling
 * timer per followed file however many windows watch it. Least recently used files beyond `capacity`
 * are forgotten (unless watched).
 */
export class LogRegistry {
  private entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 16,
    private readonly followIntervalMs = 250,
  ) {}

  read(file: string, request: LogReadRequest): Promise<LogWindow> {
    return this.index(file).then((index) => index.read(request));
  }

  search(file: string, request: LogSearchRequest): Promise<LogSearchResult> {
    return this.index(file).then((index) => index.search(request));
  }

  /**
   * Calls `listener` whenever `file` grows, shrinks or is replaced; returns the unsubscribe function.
   * `onError` hears about a follow that failed (e.g. the file was deleted).
   */
  watch(file: string, listener: (info: LogInfo) => void, onError?: (error: unknown) => void): () => void {
    const entry = this.entry(file);
    entry.listeners.add(listener);
    if (!entry.stopFollowing) {
      let stopped = false;
      entry.stopFollowing = () => (stopped = true);
      entry.index.then(
        (index) => {
          if (stopped) return;
          entry.stopFollowing = index.follow((info) => entry.listeners.forEach((each) => each(info)), {
            intervalMs: this.followIntervalMs,
            onError,
          });
        },
        (error: unknown) => onError?.(error),
      );
    }
    return () => {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) {
        entry.stopFollowing?.();
        entry.stopFollowing = undefined;
      }
    };
  }

  /** Stops every follow and forgets every index. */
  close(): void {
    for (const entry of this.entries.values()) entry.stopFollowing?.();
    this.entries.clear();
  }

  private index(file: string): Promise<LogIndex> {
    return this.entry(file).index;
  }

  private entry(file: string): Entry {
    let entry = this.entries.get(file);
    if (entry) {
      this.entries.delete(file);
    } else {
      const index = LogIndex.open(file);
      entry = { index, listeners: new Set() };
      // A file that could not be opened is not cached: the next call tries again.
      index.catch(() => this.entries.get(file) === entry && this.entries.delete(file));
    }
    this.entries.set(file, entry);
    for (const [name, old] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (old.listeners.size === 0 && name !== file) this.entries.delete(name);
    }
    return entry;
  }
}
