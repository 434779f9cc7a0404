import { compileLogPattern, logPatternProblem } from '../../../src/shared/log-pattern';
import {
  LOG_LEVELS,
  MAX_LOG_MATCHES,
  type LogInfo,
  type LogLevel,
  type LogLine,
  type LogReadRequest,
  type LogSearchRequest,
  type LogSearchResult,
  type LogSource,
  type LogWindow,
} from '../../../src/shared/logs';

const HEADER = /^\[[^\]]*\] \[(error|warn|info|verbose|debug|silly)\]/;

/**
 * A LogSource over text held in memory, with the same semantics as the core LogIndex (levels from
 * electron-log headers, continuation lines inherit, an unfinished last line counts). The renderer tests
 * drive the LogViewer through it; `append` grows the log and notifies subscribers, as a live run does.
 */
export class MemoryLogSource implements LogSource {
  private text = '';
  private lines: LogLine[] = [];
  private listeners = new Set<(info: LogInfo) => void>();
  readonly reads: LogReadRequest[] = [];
  readonly searches: LogSearchRequest[] = [];

  constructor(text = '') {
    this.append(text, false);
  }

  append(text: string, notify = true): void {
    this.text += text;
    const parts = this.text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    let previous: LogLevel | undefined;
    this.lines = parts.map((raw, n) => {
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const level = (HEADER.exec(text)?.[1] as LogLevel | undefined) ?? previous;
      previous = level;
      return level ? { n, text, level } : { n, text };
    });
    if (notify) for (const listener of this.listeners) listener(this.info());
  }

  info(): LogInfo {
    const levelCounts = Object.fromEntries(LOG_LEVELS.map((level) => [level, 0])) as Record<LogLevel, number>;
    for (const line of this.lines) if (line.level) levelCounts[line.level]++;
    return {
      totalLines: this.lines.length,
      fileSize: new TextEncoder().encode(this.text).length,
      generation: 0,
      complete: this.text === '' || this.text.endsWith('\n'),
      levelCounts,
    };
  }

  private view(levels: readonly LogLevel[] | undefined): LogLine[] {
    return levels ? this.lines.filter((line) => line.level && levels.includes(line.level)) : this.lines;
  }

  async read(request: LogReadRequest): Promise<LogWindow> {
    this.reads.push(request);
    const view = this.view(request.levels);
    const from = request.tail ? Math.max(0, view.length - request.count) : Math.min(request.from, view.length);
    return { ...this.info(), from, lines: view.slice(from, from + request.count), totalRows: view.length };
  }

  async search(request: LogSearchRequest): Promise<LogSearchResult> {
    this.searches.push(request);
    const problem = logPatternProblem(request);
    if (problem) throw new Error(problem);
    const pattern = compileLogPattern(request);
    const regex = new RegExp(pattern.source, pattern.flags.replace('g', ''));
    const view = this.view(request.levels);
    const matches: number[] = [];
    const rows: number[] = [];
    view.forEach((line, row) => {
      if (regex.test(line.text) && matches.length < MAX_LOG_MATCHES) {
        matches.push(line.n);
        rows.push(row);
      }
    });
    return { matches, rows, truncated: false, searchedLines: this.lines.length, generation: 0 };
  }

  subscribe(listener: (info: LogInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** `count` electron-log lines: every 10th a warning, every 50th an error. */
export function sampleLog(count: number, from = 0): string {
  let text = '';
  for (let i = from; i < from + count; i++) {
    const level = i % 50 === 49 ? 'error' : i % 10 === 9 ? 'warn' : 'info';
    text += `[2026-11-26 05:52:16.${String(i % 1000).padStart(3, '0')}] [${level}]  message ${i}\n`;
  }
  return text;
}
