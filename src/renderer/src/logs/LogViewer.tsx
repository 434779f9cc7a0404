import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent, type MouseEvent } from 'react';
import { flushSync } from 'react-dom';
import { LOG_LEVELS, type LogLevel, type LogLine, type LogSource } from '../../../shared/logs';
import { BLOCK_ROWS } from './block-cache';
import { LogRow } from './LogRow';
import { contentHeight, firstRowAt, isAtBottom, maxScrollTop, scrollTopFor, type Geometry } from './scroll-geometry';
import { useLogRows } from './use-log-rows';
import { useLogSearch, type LogQuery } from './use-log-search';
import './logs.css';

/** Fixed row height in px (no-wrap mode); keep in step with `.logv-row` in logs.css. */
export const ROW_HEIGHT = 18;
/** Rows rendered above and below the viewport so fast scrolling does not show gaps. */
const OVERSCAN = 12;
/**
 * The drawn rows move in steps of this many rows (the overscan below the viewport shrinks by up to a step
 * in between): a slow scroll re-renders every few rows, not on every pixel.
 */
const STEP = 4;
/**
 * The row window's rows sit below a pad inside it, so rows that stay in view keep their place in it when
 * rows come and go at its ends (the browser repaints only the new rows); the pad is measured from a base
 * row that moves in steps of this many rows (a pad of at most ~18,000 px).
 */
const BASE_ROWS = 1024;
/** Rows read ahead of the rendered ones in both directions. */
const PREFETCH_ROWS = BLOCK_ROWS / 2;
/** Most lines one copy puts on the clipboard. */
export const MAX_COPY_LINES = 50_000;

export interface LogViewerProps {
  source: LogSource;
  /** Start following the end of the log (default true). */
  follow?: boolean;
  /** Accessible name of the log region. */
  label?: string;
}

/**
 * A virtualised viewer for one (growing) log: only the rows in view (plus overscan) are in the DOM,
 * positioned over a spacer as tall as all rows; rows are read in blocks through an LRU cache.
 *
 * Wrap mode keeps the scrollbar in rows, not pixels: the scroll position picks the first row, and the
 * rows from there take their natural (wrapped) height, clipped at the bottom (at the end of the log they
 * are anchored to the bottom instead, so the last line is always reachable). Measuring every wrapped
 * line of a million-line log would defeat reading it in blocks.
 */
export function LogViewer({ source, follow = true, label = 'Log' }: LogViewerProps): JSX.Element {
  const [enabled, setEnabled] = useState<ReadonlySet<LogLevel>>(() => new Set(LOG_LEVELS));
  const levels = useMemo(() => (enabled.size === LOG_LEVELS.length ? undefined : LOG_LEVELS.filter((level) => enabled.has(level))), [enabled]);
  const [following, setFollowing] = useState(follow);
  const followingRef = useRef(following);
  followingRef.current = following;
  const rows = useLogRows(source, levels, following);
  const viewport = useRef<HTMLDivElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  /** The scroll position the rows were last rendered for (within a STEP of the live one). */
  const [scrollTop, setScrollTop] = useState(0);
  /** The live scroll position, as last read or set (reading it again could force a layout). */
  const liveTop = useRef(0);
  const [viewportHeight, setViewportHeight] = useState(0);
  const [query, setQuery] = useState<LogQuery>({ pattern: '', regex: false, caseSensitive: false });
  const [selection, setSelection] = useState<{ anchor: number; focus: number }>();
  const [notice, setNotice] = useState<string>();

  const geometry: Geometry = { totalRows: rows.totalRows, rowHeight: ROW_HEIGHT, viewportHeight };
  const geometryRef = useRef(geometry);
  geometryRef.current = geometry;

  // Track the viewport's height (the component fills whatever its container gives it).
  useLayoutEffect(() => {
    const element = viewport.current!;
    const measure = (): void => setViewportHeight(element.clientHeight);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Follow: keep the end in view while following.
  const bottom = maxScrollTop(geometry);
  useLayoutEffect(() => {
    if (!following) return;
    const element = viewport.current!;
    if (element.scrollTop !== bottom) element.scrollTop = bottom;
    liveTop.current = bottom;
    setScrollTop(bottom);
  }, [following, bottom]);

  const [wrap, setWrap] = useState(false);
  const wrapRef = useRef(wrap);
  wrapRef.current = wrap;
  /** What the rendered rows depend on in a scroll position; the same key, the same rows. */
  const windowKey = (top: number, g: Geometry): string => {
    const row = firstRowAt(top, g);
    return wrapRef.current ? `${Math.floor(row)}:${isAtBottom(top, g)}` : String(Math.floor(row / STEP));
  };
  const renderedKey = useRef('');

  // The row window is placed by a transform written here, on every scroll event and after every render,
  // not by React: between steps a scroll frame changes one style (no re-render, no layout); below the
  // scrollbar cap (MAX_CONTENT_PX) the transform does not even change, the rows scroll with the content.
  const rowWindow = useRef<HTMLDivElement>(null);
  const windowBase = useRef(0);
  const placeWindow = useCallback((): void => {
    const element = rowWindow.current;
    if (!element) return;
    const top = liveTop.current;
    const y = wrapRef.current ? top : top - (firstRowAt(top, geometryRef.current) - windowBase.current) * ROW_HEIGHT;
    element.style.transform = `translateY(${Math.round(y)}px)`;
  }, []);

  const onScroll = (): void => {
    const top = viewport.current!.scrollTop;
    liveTop.current = top;
    const g = geometryRef.current;
    const atBottom = isAtBottom(top, g);
    // Render the rows in this frame (not in a task after it), and only when they change.
    if (windowKey(top, g) !== renderedKey.current || atBottom !== followingRef.current) {
      flushSync(() => {
        setScrollTop(top);
        setFollowing(atBottom);
      });
    }
    placeWindow();
  };

  const reveal = useCallback((row: number) => {
    const element = viewport.current;
    if (!element) return;
    const g = geometryRef.current;
    // Put the row a third of the way down, so the lines before it give context.
    const top = scrollTopFor(row - Math.floor(g.viewportHeight / ROW_HEIGHT / 3), g);
    element.scrollTop = top;
    liveTop.current = top;
    setScrollTop(top);
    setFollowing(isAtBottom(top, g) && row >= g.totalRows - 1);
  }, []);
  const topRow = useCallback(() => Math.floor(firstRowAt(viewport.current?.scrollTop ?? 0, geometryRef.current)), []);
  const search = useLogSearch(source, query, levels, rows.info, reveal, topRow);

  // The rows to render.
  const first = firstRowAt(scrollTop, geometry);
  const visibleCount = Math.ceil(viewportHeight / ROW_HEIGHT) + 1;
  const atEnd = isAtBottom(scrollTop, geometry);
  let start: number;
  let end: number;
  let base: number;
  if (wrap) {
    end = atEnd ? rows.totalRows : Math.min(rows.totalRows, Math.floor(first) + visibleCount);
    start = atEnd ? Math.max(0, end - visibleCount) : Math.floor(first);
    base = start;
  } else {
    const step = Math.floor(first / STEP) * STEP;
    start = Math.max(0, step - OVERSCAN);
    end = Math.min(rows.totalRows, step + visibleCount + OVERSCAN);
    base = Math.floor(start / BASE_ROWS) * BASE_ROWS;
  }
  renderedKey.current = windowKey(scrollTop, geometry);
  windowBase.current = base;
  // Every render (the rows, the geometry or the mode may have changed): place the window for them.
  useLayoutEffect(placeWindow);
  // Read ahead half a block each way, so scrolling reaches rows that are already here.
  const { ensure } = rows;
  useEffect(() => ensure(Math.max(0, start - PREFETCH_ROWS), end + PREFETCH_ROWS), [ensure, start, end]);

  const currentMatchLine = search.result && search.current >= 0 ? search.result.matches[search.current] : undefined;
  const selected = selection ? { from: Math.min(selection.anchor, selection.focus), to: Math.max(selection.anchor, selection.focus) } : undefined;

  const selectRow = useCallback((event: MouseEvent, row: number): void => {
    event.preventDefault();
    setSelection((previous) => (event.shiftKey && previous ? { anchor: previous.anchor, focus: row } : { anchor: row, focus: row }));
  }, []);

  const rendered: JSX.Element[] = [];
  for (let row = start; row < end; row++) {
    const line = rows.line(row);
    rendered.push(
      <LogRow
        key={row}
        row={row}
        line={line}
        current={line !== undefined && line.n === currentMatchLine}
        selected={selected !== undefined && row >= selected.from && row <= selected.to}
        highlight={search.highlight}
        onSelect={selectRow}
      />,
    );
  }

  async function copy(): Promise<void> {
    const from = selected ? selected.from : start;
    const to = selected ? selected.to + 1 : end;
    const count = Math.min(to - from, MAX_COPY_LINES);
    try {
      const lines: LogLine[] = await rows.fetchRange(from, from + count);
      await navigator.clipboard.writeText(lines.map((line) => line.text).join('\n') + '\n');
      setNotice(`Copied ${lines.length.toLocaleString('en-US')} line${lines.length === 1 ? '' : 's'}${to - from > count ? ` (first ${count.toLocaleString('en-US')})` : ''}`);
    } catch (error) {
      setNotice(`Copy failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function resumeFollow(): void {
    setFollowing(true);
  }

  function onSearchKey(event: KeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      search.step(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      setQuery((q) => ({ ...q, pattern: '' }));
    }
  }

  function onViewerKey(event: KeyboardEvent<HTMLDivElement>): void {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key.toLowerCase() === 'f') {
      event.preventDefault();
      searchInput.current?.focus();
    } else if (mod && event.key.toLowerCase() === 'c' && selected && !window.getSelection()?.toString()) {
      event.preventDefault();
      void copy();
    } else if (event.key === 'Escape') {
      setSelection(undefined);
    }
  }

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(undefined), 2500);
    return () => clearTimeout(timer);
  }, [notice]);

  const toggleLevel = (level: LogLevel): void =>
    setEnabled((previous) => {
      const next = new Set(previous);
      if (next.has(level)) next.delete(level);
      else next.add(level);
      return next;
    });

  const matchCount = search.result?.matches.length ?? 0;
  const matchLabel = search.error
    ? ''
    : !query.pattern
      ? ''
      : search.busy && !search.result
        ? 'searching…'
        : matchCount === 0
          ? 'no matches'
          : `${search.current + 1} of ${matchCount.toLocaleString('en-US')}${search.result?.truncated ? '+' : ''}`;
  const counts = rows.info?.levelCounts;

  return (
    <div className="logv" onKeyDown={onViewerKey}>
      <div className="logv-toolbar" role="toolbar" aria-label="Log tools">
        <div className="logv-search">
          <input
            ref={searchInput}
            type="search"
            className="logv-search-input"
            placeholder={query.regex ? 'Regular expression' : 'Search'}
            aria-label="Search the log"
            aria-invalid={search.error ? true : undefined}
            value={query.pattern}
            onChange={(event) => setQuery((q) => ({ ...q, pattern: event.target.value }))}
            onKeyDown={onSearchKey}
          />
          <label className="logv-toggle" title="Regular expression">
            <input type="checkbox" checked={query.regex} onChange={(event) => setQuery((q) => ({ ...q, regex: event.target.checked }))} />
            .*
          </label>
          <label className="logv-toggle" title="Match case">
            <input type="checkbox" checked={query.caseSensitive} onChange={(event) => setQuery((q) => ({ ...q, caseSensitive: event.target.checked }))} />
            Aa
          </label>
          <span className="logv-count" aria-live="polite">
            {matchLabel}
          </span>
          <button type="button" className="logv-button" onClick={() => search.step(-1)} disabled={matchCount === 0} aria-label="Previous match" title="Previous match (Shift+Enter)">
            ↑
          </button>
          <button type="button" className="logv-button" onClick={() => search.step(1)} disabled={matchCount === 0} aria-label="Next match" title="Next match (Enter)">
            ↓
          </button>
        </div>
        <fieldset className="logv-levels">
          <legend className="logv-sr-only">Levels</legend>
          {LOG_LEVELS.map((level) => (
            <label key={level} className={`logv-chip logv-l-${level}`} data-on={enabled.has(level) || undefined}>
              <input type="checkbox" checked={enabled.has(level)} onChange={() => toggleLevel(level)} />
              {level}
              {counts && <span className="logv-chip-count">{counts[level].toLocaleString('en-US')}</span>}
            </label>
          ))}
        </fieldset>
        <div className="logv-actions">
          <button type="button" className="logv-button" aria-pressed={wrap} onClick={() => setWrap((w) => !w)} title="Wrap long lines">
            Wrap
          </button>
          <button type="button" className="logv-button" onClick={() => void copy()} title={selected ? 'Copy the selected lines' : 'Copy the lines in view'}>
            {selected ? `Copy ${selected.to - selected.from + 1}` : 'Copy'}
          </button>
          <button type="button" className="logv-button logv-follow" aria-pressed={following} onClick={resumeFollow} title="Follow the end of the log">
            Follow
          </button>
        </div>
      </div>
      {(search.error ?? rows.error) && (
        <div className="logv-error" role="alert">
          {search.error ?? rows.error}
        </div>
      )}
      <div
        ref={viewport}
        className={`logv-viewport${wrap ? ' logv-wrap' : ''}`}
        tabIndex={0}
        role="log"
        aria-label={label}
        aria-rowcount={rows.totalRows}
        onScroll={onScroll}
      >
        <div className="logv-spacer" style={{ height: contentHeight(geometry) }} />
        <div ref={rowWindow} className={`logv-window${wrap && atEnd ? ' logv-window-end' : ''}`} style={wrap ? { height: viewportHeight } : undefined} data-first-row={start}>
          {start > base && <div className="logv-pad" style={{ height: (start - base) * ROW_HEIGHT }} />}
          {rendered}
        </div>
        {rows.loaded && rows.totalRows === 0 && !rows.error && <div className="logv-empty">{levels ? 'No lines at the selected levels' : 'The log is empty'}</div>}
      </div>
      <div className="logv-status">
        <span>
          {rows.info ? `${rows.totalRows.toLocaleString('en-US')}${levels ? ` of ${rows.info.totalLines.toLocaleString('en-US')}` : ''} lines · ${formatBytes(rows.info.fileSize)}` : 'Loading…'}
        </span>
        {notice && <span className="logv-notice" role="status">{notice}</span>}
      </div>
    </div>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
