import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { LogViewer, ROW_HEIGHT } from '../../../src/renderer/src/logs/LogViewer';
import { MemoryLogSource, sampleLog } from './memory-log-source';

// jsdom does no layout: give the viewport a height (20 rows) so the viewer has something to fill.
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

const viewport = (): HTMLElement => screen.getByRole('log');
const renderedRows = (): HTMLElement[] => Array.from(viewport().querySelectorAll<HTMLElement>('.logv-row'));
const renderedTexts = (): string[] => renderedRows().map((row) => row.querySelector('.logv-text')!.textContent);

function scrollTo(top: number): void {
  act(() => {
    viewport().scrollTop = top;
    fireEvent.scroll(viewport());
  });
}

describe('LogViewer', () => {
  test('renders only a window of a large log and reads it in blocks', async () => {
    const source = new MemoryLogSource(sampleLog(100_000));
    render(<LogViewer source={source} follow={false} />);
    await screen.findByText(/message 0$/);
    // 20 visible rows + 1 partial + overscan below: nowhere near 100,000.
    expect(renderedRows().length).toBeLessThanOrEqual(20 + 1 + 12);
    expect(viewport().querySelector<HTMLElement>('.logv-spacer')!.style.height).toBe(`${100_000 * ROW_HEIGHT}px`);
    expect(screen.queryByText(/message 5000$/)).toBeNull();

    scrollTo(50_000 * ROW_HEIGHT);
    await screen.findByText(/message 50000$/);
    expect(renderedRows().length).toBeLessThanOrEqual(20 + 1 + 2 * 12);
    expect(renderedRows()[0]!.dataset['row']).toBe(String(50_000 - 12));
    expect(source.reads.every((read) => read.count <= 256)).toBe(true);
    expect(source.reads.length).toBeLessThan(6);
    expect(screen.getByText(/^100,000 lines · \d\.\d MiB$/)).toBeTruthy();
  });

  test('shows line numbers and colours lines by level', async () => {
    const source = new MemoryLogSource(sampleLog(50) + 'Error: boom\n    at fit (train.ts:1:1)\n');
    render(<LogViewer source={source} follow={false} />);
    const warn = (await screen.findByText(/message 9$/)).closest('.logv-row')!;
    expect(warn.className).toContain('logv-l-warn');
    expect(warn.querySelector('.logv-num')!.textContent).toBe('10');
    scrollTo(52 * ROW_HEIGHT - VIEWPORT_PX);
    await waitFor(() => expect(renderedTexts()).toContain('    at fit (train.ts:1:1)'));
    const trace = renderedRows().find((row) => row.textContent.endsWith('    at fit (train.ts:1:1)'))!;
    // A stack line has no header: it belongs to the entry before it (line 50, an error).
    expect(trace.className).toContain('logv-l-error');
    expect(trace.querySelector('.logv-num')!.textContent).toBe('52');
  });

  test('follow mode keeps the end in view until the user scrolls up; Follow resumes', async () => {
    const source = new MemoryLogSource(sampleLog(100));
    render(<LogViewer source={source} />);
    await screen.findByText(/message 99$/);
    // Opening at the end takes one read of the tail.
    expect(source.reads[0]).toMatchObject({ tail: true });
    const follow = screen.getByRole('button', { name: 'Follow' });
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    expect(viewport().scrollTop).toBe(100 * ROW_HEIGHT - VIEWPORT_PX);

    act(() => source.append(sampleLog(50, 100)));
    await screen.findByText(/message 149$/);
    expect(viewport().scrollTop).toBe(150 * ROW_HEIGHT - VIEWPORT_PX);

    scrollTo(0);
    expect(follow.getAttribute('aria-pressed')).toBe('false');
    act(() => source.append(sampleLog(50, 150)));
    await screen.findByText(/^200 lines · /);
    expect(viewport().scrollTop).toBe(0);
    expect(screen.queryByText(/message 199$/)).toBeNull();

    await userEvent.click(follow);
    await screen.findByText(/message 199$/);
    expect(viewport().scrollTop).toBe(200 * ROW_HEIGHT - VIEWPORT_PX);
    expect(follow.getAttribute('aria-pressed')).toBe('true');
  });

  test('search counts matches, Enter / Shift+Enter move between them and matches are highlighted', async () => {
    const user = userEvent.setup();
    const source = new MemoryLogSource(sampleLog(1000));
    render(<LogViewer source={source} follow={false} />);
    await screen.findByText(/message 0$/);
    const input = screen.getByRole('searchbox', { name: 'Search the log' });
    await user.click(screen.getByTitle('Regular expression'));
    await user.type(input, String.raw`message \d*77$`);
    // 77, 177, ..., 977
    await screen.findByText('1 of 10');
    const current = (): HTMLElement => viewport().querySelector<HTMLElement>('.logv-current')!;
    await waitFor(() => expect(current().textContent).toMatch(/message 77$/));
    expect(current().querySelector('mark')!.textContent).toBe('message 77');

    await user.keyboard('{Enter}');
    await screen.findByText('2 of 10');
    await waitFor(() => expect(current().textContent).toMatch(/message 177$/));
    expect(Number(current().dataset['row'])).toBe(177);

    await user.keyboard('{Shift>}{Enter}{/Shift}{Shift>}{Enter}{/Shift}');
    await screen.findByText('10 of 10');
    await waitFor(() => expect(current().textContent).toMatch(/message 977$/));
    await user.click(screen.getByRole('button', { name: 'Next match' }));
    await screen.findByText('1 of 10');
  });

  test('an invalid regular expression is reported and nothing is searched', async () => {
    const user = userEvent.setup();
    const source = new MemoryLogSource(sampleLog(10));
    render(<LogViewer source={source} follow={false} />);
    await user.click(screen.getByTitle('Regular expression'));
    await user.type(screen.getByRole('searchbox'), 'message (');
    expect((await screen.findByRole('alert')).textContent).toMatch(/invalid regular expression \/message \(\/: Unterminated group/);
    expect(screen.getByRole('searchbox').getAttribute('aria-invalid')).toBe('true');
    expect(source.searches).toEqual([]);
  });

  test('the level filter shows only the chosen levels, and search follows the filter', async () => {
    const user = userEvent.setup();
    const source = new MemoryLogSource(sampleLog(200));
    render(<LogViewer source={source} follow={false} />);
    await screen.findByText(/message 0$/);
    const levels = screen.getByRole('group', { name: 'Levels' });
    await user.click(within(levels).getByRole('checkbox', { name: /^info/ }));
    await screen.findByText(/^20 of 200 lines · /);
    await waitFor(() => expect(renderedTexts().every((text) => /\[(warn|error)\]/.test(text))).toBe(true));
    expect(renderedTexts()[0]).toMatch(/message 9$/);
    expect(renderedRows().length).toBe(20);
    expect(source.reads.at(-1)!.levels).toEqual(['error', 'warn', 'verbose', 'debug', 'silly']);

    await user.click(within(levels).getByRole('checkbox', { name: /^warn/ }));
    await screen.findByText(/^4 of 200 lines · /);
    expect(renderedTexts().map((text) => text.slice(-11))).toEqual(['message 49', 'message 99', 'message 149', 'message 199'].map((t) => t.padStart(11)));

    await user.type(screen.getByRole('searchbox'), 'message 1');
    await screen.findByText('1 of 2');
    expect(source.searches.at(-1)!.levels).toEqual(['error', 'verbose', 'debug', 'silly']);
  });

  test('wrap mode toggles, and copy puts the selected lines on the clipboard', async () => {
    const user = userEvent.setup();
    const source = new MemoryLogSource(sampleLog(30));
    render(<LogViewer source={source} follow={false} />);
    await screen.findByText(/message 0$/);
    const wrap = screen.getByRole('button', { name: 'Wrap' });
    await user.click(wrap);
    expect(wrap.getAttribute('aria-pressed')).toBe('true');
    expect(viewport().className).toContain('logv-wrap');

    const number = (n: number): HTMLElement => renderedRows()[n - 1]!.querySelector<HTMLElement>('.logv-num')!;
    await user.pointer({ keys: '[MouseLeft]', target: number(2) });
    await user.keyboard('{Shift>}');
    await user.pointer({ keys: '[MouseLeft]', target: number(4) });
    await user.keyboard('{/Shift}');
    const copy = screen.getByRole('button', { name: 'Copy 3' });
    await user.click(copy);
    expect(await navigator.clipboard.readText()).toBe(
      sampleLog(3, 1),
    );
    await screen.findByText('Copied 3 lines');
  });
});
