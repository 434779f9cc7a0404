import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { LogViewer, ROW_HEIGHT } from '../../../src/renderer/src/logs/LogViewer';
import type { LogReadRequest, LogSearchRequest, LogSearchResult, LogSource, LogWindow } from '../../../src/shared/logs';
import { MemoryLogSource, sampleLog } from './memory-log-source';

const VIEWPORT_PX = 20 * ROW_HEIGHT;
const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight');
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('logv-viewport') ? VIEWPORT_PX : 0;
    },
  });
});
afterEach(cleanup);
afterAll(() => {
  if (original) Object.defineProperty(HTMLElement.prototype, 'clientHeight', original);
});

/**
 * A source that answers like the core LogIndex while it is still indexing a large log: the line count
 * is an estimate (`overshoot` lines too many), tail lines are numbered from it, the first `indexed`
 * lines are exact; `finish()` ends the indexing, after which it answers exactly.
 */
class IndexingLogSource implements LogSource {
  indexing = true;
  readonly reads: LogReadRequest[] = [];

  constructor(
    private readonly log: MemoryLogSource,
    private readonly overshoot: number,
    private readonly indexed: number,
  ) {}

  finish(): void {
    this.indexing = false;
  }

  async read(request: LogReadRequest): Promise<LogWindow> {
    this.reads.push(request);
    const exact = await this.log.read(request);
    if (!this.indexing) return exact;
    const total = exact.totalLines + this.overshoot;
    const shift = request.tail ? this.overshoot : 0;
    const lines = exact.lines.map((line) => ({ ...line, n: line.n + (line.n >= this.indexed ? shift : 0) }));
    return { ...exact, totalLines: total, totalRows: total, from: exact.from + shift, lines, estimated: true, indexedLines: this.indexed, complete: false };
  }

  search(request: LogSearchRequest): Promise<LogSearchResult> {
    return this.log.search(request);
  }
}

const numbers = (): string[] => Array.from(document.querySelectorAll('.logv-row .logv-num'), (cell) => cell.textContent);

describe('LogViewer over a source still indexing', () => {
  test('opens at the estimated end, asks again until the count is exact, then shows the true line numbers', async () => {
    const source = new IndexingLogSource(new MemoryLogSource(sampleLog(10_000)), 37, 1_000);
    render(<LogViewer source={source} />);
    await screen.findByText(/message 9999$/);
    expect(screen.getByText(/^10,037 lines/)).toBeTruthy();
    expect(numbers()).toContain('10037');

    const before = source.reads.length;
    source.finish();
    await waitFor(() => expect(screen.getByText(/^10,000 lines/)).toBeTruthy(), { timeout: 2_000 });
    await waitFor(() => expect(numbers()[numbers().length - 1]).toBe('10000'));
    expect(screen.getByText(/message 9999$/).closest('.logv-row')!.querySelector('.logv-num')!.textContent).toBe('10000');
    expect(numbers()).not.toContain('10037');
    expect(document.querySelector('.logv-loading')).toBeNull();
    expect(source.reads.length).toBeGreaterThan(before);
    // Once exact, it stops asking.
    const settled = source.reads.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(source.reads.length).toBe(settled);
  });

  test('rows read at the estimated end are dropped and read again when the count becomes exact', async () => {
    const source = new IndexingLogSource(new MemoryLogSource(sampleLog(10_000)), 300, 1_000);
    render(<LogViewer source={source} />);
    await screen.findByText(/message 9999$/);
    // Scroll up a little (no longer following): rows 9,984.. were read from the end, numbered from the
    // estimate, so row 9,984 holds line 9,684 for now.
    act(() => {
      const viewport = screen.getByRole('log');
      viewport.scrollTop = 9_984 * ROW_HEIGHT;
      fireEvent.scroll(viewport);
    });
    await screen.findByText(/message 9684$/);
    source.finish();
    await waitFor(() => expect(screen.getByText(/^10,000 lines/)).toBeTruthy(), { timeout: 2_000 });
    await screen.findByText(/message 9999$/);
    expect(screen.queryByText(/message 9684$/)).toBeNull();
    expect(screen.getByText(/message 9990$/).closest('.logv-row')!.querySelector('.logv-num')!.textContent).toBe('9991');
  });

  test('opened at the start, the exact head stays on screen while the count becomes exact', async () => {
    const source = new IndexingLogSource(new MemoryLogSource(sampleLog(10_000)), 500, 1_000);
    render(<LogViewer source={source} follow={false} />);
    await screen.findByText(/message 0$/);
    expect(screen.getByText(/^10,500 lines/)).toBeTruthy();
    source.finish();
    await waitFor(() => expect(screen.getByText(/^10,000 lines/)).toBeTruthy(), { timeout: 2_000 });
    expect(numbers().slice(0, 3)).toEqual(['1', '2', '3']);
    expect(document.querySelector('.logv-loading')).toBeNull();
    // The head block was exact (within indexedLines): it was kept, not read again.
    expect(source.reads.filter((read) => read.from === 0 && read.count > 0)).toHaveLength(1);
  });
});
