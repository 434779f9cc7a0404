import { useCallback, useEffect, useRef, useState } from 'react';
import type { LogInfo, LogLevel, LogLine, LogSource } from '../../../shared/logs';
import { BLOCK_ROWS, BlockCache } from './block-cache';

/** How often the viewer asks again while the source is still indexing (its line count an estimate). */
export const INDEXING_POLL_MS = 250;

export interface LogRows {
  /** Rows in the (level-filtered) view, as last reported by the source. */
  totalRows: number;
  info: LogInfo | undefined;
  /** The line at `row`, or undefined while its block is being read. */
  line: (row: number) => LogLine | undefined;
  /** Reads the blocks covering rows [start, end) that are not cached yet. */
  ensure: (start: number, end: number) => void;
  /** Lines [start, end) (from the cache, else from the source). */
  fetchRange: (start: number, end: number) => Promise<LogLine[]>;
  error: string | undefined;
  /** Whether the first read has answered. */
  loaded: boolean;
}

/**
 * Rows of a LogSource read in blocks of BLOCK_ROWS through a small LRU cache, re-read where the log
 * changed (subscribe). `levels` undefined = every line. `atEnd`: start with the tail, not the head.
 */
export function useLogRows(source: LogSource, levels: readonly LogLevel[] | undefined, atEnd: boolean): LogRows {
  /** Whether a (re)start reads the end of the log first (the viewer is following). */
  const startAtEnd = useRef(atEnd);
  startAtEnd.current = atEnd;
  const cache = useRef(new BlockCache());
  const inflight = useRef(new Set<number>());
  /** Bumped when the source or filter changes: answers to older requests are dropped. */
  const epoch = useRef(0);
  const generation = useRef<number | undefined>(undefined);
  /** Whether the last answer had an estimated line count (the source was still indexing). */
  const estimated = useRef(false);
  /** The rows last asked for by `ensure`: read again when blocks numbered by an estimate are dropped. */
  const lastRange = useRef<[number, number]>([0, 0]);
  const [totalRows, setTotalRows] = useState(0);
  const [info, setInfo] = useState<LogInfo>();
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  const [, setVersion] = useState(0);
  const levelsKey = levels ? levels.join(',') : '*';

  /** Reads rows and caches every block the answer covers whole (or up to the end of the log). */
  const fetchRows = useCallback(
    (key: number, request: { from: number; count: number; tail?: boolean }) => {
      if (inflight.current.has(key)) return;
      inflight.current.add(key);
      const asked = epoch.current;
      source
        .read({ ...request, ...(levels ? { levels: [...levels] } : {}) })
        .then((window) => {
          if (asked !== epoch.current) return;
          inflight.current.delete(key);
          if (generation.current !== undefined && window.generation !== generation.current) cache.current.clear();
          generation.current = window.generation;
          // The index is done: rows numbered from the estimate are void (they are read again below).
          if (estimated.current && !window.estimated) cache.current.dropUnfinal();
          estimated.current = window.estimated === true;
          const end = window.from + window.lines.length;
          for (let b = Math.ceil(window.from / BLOCK_ROWS); b * BLOCK_ROWS < end; b++) {
            const lines = window.lines.slice(b * BLOCK_ROWS - window.from, (b + 1) * BLOCK_ROWS - window.from);
            if (lines.length < BLOCK_ROWS && b * BLOCK_ROWS + lines.length < window.totalRows) break;
            const last = lines[lines.length - 1];
            const exact = !window.estimated || (b + 1) * BLOCK_ROWS <= (window.indexedLines ?? 0);
            const final = exact && lines.length === BLOCK_ROWS && !(last && last.n === window.totalLines - 1 && !window.complete);
            cache.current.set(b, { lines, final });
          }
          setTotalRows(window.totalRows);
          setInfo(window);
          setError(undefined);
          setLoaded(true);
          setVersion((v) => v + 1);
        })
        .catch((reason: unknown) => {
          if (asked !== epoch.current) return;
          inflight.current.delete(key);
          setError(reason instanceof Error ? reason.message : String(reason));
          setLoaded(true);
        });
    },
    // levelsKey stands for the content of levels (a new array with the same levels is the same filter).
    [source, levelsKey],
  );
  const fetchBlock = useCallback((index: number) => fetchRows(index, { from: index * BLOCK_ROWS, count: BLOCK_ROWS }), [fetchRows]);
  /** The last two blocks' worth of rows in one read (key -1 while in flight). */
  const fetchTail = useCallback(() => fetchRows(-1, { from: 0, count: 2 * BLOCK_ROWS, tail: true }), [fetchRows]);

  // A new source or filter: start over from the first block.
  useEffect(() => {
    epoch.current++;
    cache.current.clear();
    inflight.current.clear();
    generation.current = undefined;
    estimated.current = false;
    setTotalRows(0);
    setLoaded(false);
    if (startAtEnd.current) fetchTail();
    else fetchBlock(0);
  }, [fetchBlock, fetchTail]);

  const totalRef = useRef(totalRows);
  totalRef.current = totalRows;

  useEffect(() => {
    if (!source.subscribe) return;
    return source.subscribe((change) => {
      if (generation.current !== undefined && change.generation !== generation.current) {
        cache.current.clear();
        inflight.current.clear();
        epoch.current++;
        generation.current = change.generation;
        fetchBlock(0);
        return;
      }
      cache.current.dropUnfinal();
      // Re-reading the block at the current end also tells the new row count.
      fetchBlock(Math.floor(Math.max(0, totalRef.current - 1) / BLOCK_ROWS));
    });
  }, [source, fetchBlock]);

  const ensure = useCallback(
    (start: number, end: number) => {
      lastRange.current = [start, end];
      end = Math.min(end, totalRef.current);
      if (end <= start) return;
      for (let b = Math.floor(start / BLOCK_ROWS); b <= Math.floor((end - 1) / BLOCK_ROWS); b++) {
        if (!cache.current.has(b)) fetchBlock(b);
        else cache.current.get(b); // mark as recently used
      }
    },
    [fetchBlock],
  );

  // While the source indexes, ask again now and then (the end of the log when following, else just the
  // counts) until the line count is exact; then read again the rows in view that were dropped.
  const isEstimated = info?.estimated === true;
  useEffect(() => {
    if (!isEstimated) return;
    const timer = setTimeout(() => (startAtEnd.current ? fetchTail() : fetchRows(-2, { from: 0, count: 0 })), INDEXING_POLL_MS);
    return () => clearTimeout(timer);
  }, [info, isEstimated, fetchTail, fetchRows]);
  const wasEstimated = useRef(false);
  useEffect(() => {
    if (wasEstimated.current && !isEstimated) ensure(...lastRange.current);
    wasEstimated.current = isEstimated;
  }, [isEstimated, ensure]);

  const fetchRange = useCallback(
    async (start: number, end: number): Promise<LogLine[]> => {
      const lines: LogLine[] = [];
      for (let row = start; row < end; ) {
        const cached = cache.current.peek(row);
        if (cached) {
          lines.push(cached);
          row++;
          continue;
        }
        const window = await source.read({ from: row, count: Math.min(end - row, 5_000), ...(levels ? { levels: [...levels] } : {}) });
        if (window.lines.length === 0) break;
        lines.push(...window.lines);
        row += window.lines.length;
      }
      return lines;
    },
    [source, levelsKey],
  );

  const line = useCallback((row: number) => cache.current.peek(row), []);

  return { totalRows, info, line, ensure, fetchRange, error, loaded };
}
