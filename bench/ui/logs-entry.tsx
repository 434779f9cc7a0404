// The log viewer benchmark page: the real LogViewer over an HTTP LogSource answered by the core
// LogIndex in bench/ui-logs-server.ts. `?naive` instead fetches the whole file and shows it in a <pre>
// (the baseline). The page reports its milestones on window.__bench for Playwright.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { LogReadRequest, LogSearchRequest, LogSearchResult, LogSource, LogWindow } from '../../src/shared/logs';
import { LogViewer } from '../../src/renderer/src/logs/LogViewer';
import './bench-page.css';

interface BenchMarks {
  firstScreen?: number;
  error?: string;
}
declare global {
  interface Window {
    __bench: BenchMarks;
  }
}
window.__bench = {};

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const payload = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(payload.error ?? `${path}: HTTP ${response.status}`);
  return payload;
}

const source: LogSource = {
  read: (request: LogReadRequest) => post<LogWindow>('/api/read', request),
  search: (request: LogSearchRequest) => post<LogSearchResult>('/api/search', request),
};

/** Marks the first frame whose viewport is full of loaded rows. */
function watchFirstScreen(): void {
  const check = (): void => {
    const viewport = document.querySelector('.logv-viewport, .bench-naive');
    const loaded = viewport && viewport.querySelector('.logv-loading') === null && (viewport.querySelector('.logv-row') || viewport.classList.contains('bench-naive'));
    if (loaded && (viewport.textContent ?? '').length > 0) {
      window.__bench.firstScreen = performance.now();
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

/** A log generated in the page itself: the floor of the first screen (page load and React render, no
 * server round trip, no index). */
function inPageSource(lines: number): LogSource {
  const all = Array.from({ length: lines }, (_, n) => ({ n, text: `[2026-11-26 05:00:00.000] [info]  line ${n}`, level: 'info' as const }));
  const info = { totalLines: lines, fileSize: 0, generation: 0, complete: true, levelCounts: { error: 0, warn: 0, info: lines, verbose: 0, debug: 0, silly: 0 } };
  return {
    read: async ({ from, count, tail }) => {
      const start = tail ? Math.max(0, lines - count) : Math.min(from, lines);
      return { ...info, from: start, lines: all.slice(start, start + count), totalRows: lines };
    },
    search: async () => ({ matches: [], rows: [], truncated: false, searchedLines: lines, generation: 0 }),
  };
}

const params = new URLSearchParams(location.search);
const root = createRoot(document.getElementById('root')!);
if (params.has('naive')) {
  fetch('/api/file')
    .then((response) => response.text())
    .then((text) => {
      const pre = document.createElement('pre');
      pre.className = 'bench-naive';
      pre.textContent = text;
      document.getElementById('root')!.append(pre);
      watchFirstScreen();
    })
    .catch((error: unknown) => (window.__bench.error = String(error)));
} else {
  root.render(
    <StrictMode>
      <div className="bench-shell">
        <aside className="bench-sidebar">Experiment Manager · run.log</aside>
        <main className="bench-main">
          <LogViewer source={params.has('inpage') ? inPageSource(1000) : source} follow={params.get('follow') !== '0'} label="run.log" />
        </main>
      </div>
    </StrictMode>,
  );
  watchFirstScreen();
}
