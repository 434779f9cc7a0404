/**
 * The log viewer's contract: what the renderer asks of a run's `logs/run.log` and what it gets back.
 * Shared by the core reader (src/core/logs), the IPC/HTTP transport and the renderer's LogViewer, so it
 * holds plain serialisable data and zod schemas only (no Node, no Electron).
 *
 * Line numbers (`n`) are 0-based indices into the file; people see `n + 1`. A "row" is a position in
 * the view after the level filter: without a filter, row === line number.
 */
import { z } from 'zod';

/** electron-log's levels, most severe first (the text format writes them as `[info]`, `[warn]`, ...). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const logLevelSchema = z.enum(LOG_LEVELS);

/** Longest search pattern accepted: longer ones are refused rather than risking a pathological regex. */
export const MAX_LOG_PATTERN_LENGTH = 500;
/** Most lines one read returns; the viewer reads in blocks far below this. */
export const MAX_LOG_READ_LINES = 10_000;
/** Most matches one search returns (the result says `truncated` when there were more). */
export const MAX_LOG_MATCHES = 100_000;

/** One line of text. `level` is the level of the entry the line belongs to: continuation lines of a
 * multi-line message (stack traces) carry the level of the line that started it; lines before any
 * electron-log header have none. */
export interface LogLine {
  n: number;
  text: string;
  level?: LogLevel;
}

export const logReadRequestSchema = z.object({
  /** First row to return (0-based, in the view filtered by `levels`). */
  from: z.number().int().min(0),
  count: z.number().int().min(0).max(MAX_LOG_READ_LINES),
  /** Only lines of these levels; absent = every line (including lines without a level). */
  levels: z.array(logLevelSchema).optional(),
  /** Return the last `count` rows instead (`from` is ignored): opening a log at its end takes one read. */
  tail: z.boolean().optional(),
});
export type LogReadRequest = z.infer<typeof logReadRequestSchema>;

/** How far the file has been read; pushed by `LogSource.subscribe` when it changes. */
export interface LogInfo {
  totalLines: number;
  fileSize: number;
  /** Bumped when the file was truncated or replaced (rotation): line numbers from before are void. */
  generation: number;
  /** Whether the file ends with a newline, i.e. its last line is finished and will not change. */
  complete: boolean;
  levelCounts: Record<LogLevel, number>;
  /** True while the file is still being indexed (a large log just opened): `totalLines` is an estimate,
   * `levelCounts` count the lines indexed so far, and line numbers from `indexedLines` on (lines read
   * from the end of the file) are numbered from the estimate, so they change once the index is done. */
  estimated?: boolean;
  /** While `estimated`: lines [0, indexedLines) are indexed, their numbers exact. */
  indexedLines?: number;
}

export interface LogWindow extends LogInfo {
  /** The first row returned: as requested (clamped to `totalRows`), or where the tail starts. */
  from: number;
  lines: LogLine[];
  /** Rows in the view filtered by the request's levels (= totalLines without a filter). */
  totalRows: number;
}

export const logSearchRequestSchema = z.object({
  pattern: z.string().max(MAX_LOG_PATTERN_LENGTH),
  regex: z.boolean(),
  caseSensitive: z.boolean(),
  /** Search only lines of these levels (the viewer passes its level filter); absent = every line. */
  levels: z.array(logLevelSchema).optional(),
});
export type LogSearchRequest = z.infer<typeof logSearchRequestSchema>;

export interface LogSearchResult {
  /** Line numbers of matching lines, ascending, at most MAX_LOG_MATCHES. */
  matches: number[];
  /** The same matches as rows of the view filtered by the request's levels. */
  rows: number[];
  /** More lines matched than `matches` holds. */
  truncated: boolean;
  /** Lines searched (the file's line count when the search ran). */
  searchedLines: number;
  generation: number;
}

/**
 * Where the LogViewer gets its lines: in the app, IPC calls to the main process (which holds a core
 * LogIndex per open log); in tests and the benchmark, other real implementations over the same contract.
 * `read` and `search` reject with an Error whose message is shown to the user (e.g. an invalid regex).
 */
export interface LogSource {
  read(request: LogReadRequest): Promise<LogWindow>;
  search(request: LogSearchRequest): Promise<LogSearchResult>;
  /** Calls `listener` whenever the log grows, is truncated or replaced; returns an unsubscribe function.
   * Without it the viewer shows the log as it was when first read. */
  subscribe?(listener: (info: LogInfo) => void): () => void;
}
