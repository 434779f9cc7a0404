import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { compileLogPattern, logPatternProblem } from '../../../shared/log-pattern';
import type { LogInfo, LogLevel, LogSearchResult, LogSource } from '../../../shared/logs';

export interface LogQuery {
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
}

export interface LogSearch {
  result: LogSearchResult | undefined;
  /** Index into result.matches of the current match, -1 when none. */
  current: number;
  /** Problem with the pattern, or the source's error message. */
  error: string | undefined;
  busy: boolean;
  /** The pattern as a global RegExp for highlighting, when there is a valid one. */
  highlight: RegExp | undefined;
  /** Moves to the next (+1) or previous (-1) match, wrapping around, and reveals it. */
  step: (direction: 1 | -1) => void;
}

/** Re-running a search because the log grew waits this long, so a fast-growing log is not searched
 * continuously (the core only scans new lines, but each round trip still costs). */
const GROWTH_RESEARCH_MS = 1000;
const TYPING_DEBOUNCE_MS = 200;

/**
 * Runs `query` against the source (debounced while typing, again when the log grows) and keeps a
 * current match. `reveal(row)` scrolls the view to a match; `topRow()` is where the first match after
 * a new query is looked for, as a browser's find does.
 */
export function useLogSearch(
  source: LogSource,
  query: LogQuery,
  levels: readonly LogLevel[] | undefined,
  info: LogInfo | undefined,
  reveal: (row: number) => void,
  topRow: () => number,
): LogSearch {
  const [result, setResult] = useState<LogSearchResult>();
  const [current, setCurrent] = useState(-1);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const token = useRef(0);
  const currentLine = useRef<number | undefined>(undefined);
  const levelsKey = levels ? levels.join(',') : '*';
  const problem = query.pattern ? logPatternProblem(query) : null;
  const active = query.pattern !== '' && !problem;

  const infoKey = info ? `${info.generation}:${info.totalLines}:${info.fileSize}` : '';
  const infoKeyNow = useRef(infoKey);
  infoKeyNow.current = infoKey;
  /** The state of the log the last search started on. */
  const lastInfoKey = useRef(infoKey);

  const run = useCallback(
    (fresh: boolean) => {
      const asked = ++token.current;
      lastInfoKey.current = infoKeyNow.current;
      setBusy(true);
      source
        .search({ ...query, ...(levels ? { levels: [...levels] } : {}) })
        .then((found) => {
          if (asked !== token.current) return;
          setBusy(false);
          setError(undefined);
          setResult(found);
          let index: number;
          if (fresh || currentLine.current === undefined) {
            const top = topRow();
            index = found.rows.findIndex((row) => row >= top);
            if (index < 0) index = found.rows.length ? 0 : -1;
          } else {
            index = found.matches.findIndex((n) => n >= currentLine.current!);
            if (index < 0) index = found.matches.length - 1;
          }
          setCurrent(index);
          currentLine.current = index >= 0 ? found.matches[index] : undefined;
          if (fresh && index >= 0) reveal(found.rows[index]!);
        })
        .catch((reason: unknown) => {
          if (asked !== token.current) return;
          setBusy(false);
          setResult(undefined);
          setError(reason instanceof Error ? reason.message : String(reason));
        });
    },
    // levelsKey stands for the content of levels; query fields are listed one by one.
    [source, query.pattern, query.regex, query.caseSensitive, levelsKey, reveal, topRow],
  );

  // A new query or filter: search after a pause in typing.
  useEffect(() => {
    token.current++;
    currentLine.current = undefined;
    setResult(undefined);
    setCurrent(-1);
    setBusy(false);
    setError(problem ?? undefined);
    if (!active) return;
    const timer = setTimeout(() => run(true), TYPING_DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // `run` changes exactly when the query, filter or source do.
  }, [run, active, problem]);

  // The log grew or was replaced: search again, at most once a second.
  useEffect(() => {
    if (!active || infoKey === lastInfoKey.current) return;
    const timer = setTimeout(() => run(false), GROWTH_RESEARCH_MS);
    return () => clearTimeout(timer);
  }, [infoKey, active, run]);

  const step = useCallback(
    (direction: 1 | -1) => {
      if (!result || result.rows.length === 0) return;
      const count = result.rows.length;
      const next = current < 0 ? (direction > 0 ? 0 : count - 1) : (current + direction + count) % count;
      setCurrent(next);
      currentLine.current = result.matches[next];
      reveal(result.rows[next]!);
    },
    [result, current, reveal],
  );

  const { pattern, regex, caseSensitive } = query;
  const highlight = useMemo(
    () => (active ? compileLogPattern({ pattern, regex, caseSensitive }) : undefined),
    [active, pattern, regex, caseSensitive],
  );

  return { result, current, error, busy, highlight, step };
}
