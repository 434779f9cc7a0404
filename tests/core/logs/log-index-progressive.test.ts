import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LogIndex, type LogIndexOptions } from '../../../src/core/logs/log-index.js';
import type { LogLine } from '../../../src/shared/logs.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const LEVELS = ['info', 'info', 'warn', 'error', 'error'] as const;
/** Line i: an entry header every line but those ≡ 4 (mod 5), which continue the error entry before. */
function lineAt(i: number): string {
  if (i % 5 === 4) return `    at frame ${i}`;
  return `[2026-11-26 05:52:00.321] [${LEVELS[i % 5]}]  line ${i}`;
}
const levelAt = (i: number): string => LEVELS[i % 5]!;

function logFile(lines: number, trailingNewline = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'expman-logs-'));
  dirs.push(dir);
  const file = join(dir, 'run.log');
  const text = Array.from({ length: lines }, (_, i) => lineAt(i)).join('\n');
  writeFileSync(file, trailingNewline ? `${text}\n` : text);
  return file;
}

/** Opens `file` with small indexing steps held at a gate: the build stops after each step until
 * `step()` (one more) or `finish()` (all the rest) lets it go on. */
async function heldOpen(file: string): Promise<{ index: LogIndex; step: () => Promise<void>; finish: () => Promise<void> }> {
  let release: (() => void) | undefined;
  let open = false;
  let stepped: (() => void) | undefined;
  const options: LogIndexOptions = {
    chunkBytes: 64 << 10,
    progressiveBytes: 0,
    onChunk: () => {
      stepped?.();
      return open ? undefined : new Promise<void>((resolve) => (release = resolve));
    },
  };
  const index = await LogIndex.open(file, options);
  const step = async (): Promise<void> => {
    const next = new Promise<void>((resolve) => (stepped = resolve));
    release?.();
    await Promise.race([next, index.indexed()]);
  };
  const finish = async (): Promise<void> => {
    open = true;
    release?.();
    await index.indexed();
  };
  return { index, step, finish };
}

const shape = (lines: LogLine[]): [string, string | undefined][] => lines.map((line) => [line.text, line.level]);

describe('LogIndex progressive indexing', () => {
  test('a tail read before the index is complete returns the true last lines, numbered from an estimate', async () => {
    const count = 60_000;
    const file = logFile(count);
    const { index, finish } = await heldOpen(file);
    const early = await index.read({ from: 0, count: 7, tail: true });
    expect(early.estimated).toBe(true);
    expect(early.indexedLines!).toBeLessThan(count / 2);
    expect(shape(early.lines)).toEqual(Array.from({ length: 7 }, (_, k) => [lineAt(count - 7 + k), levelAt(count - 7 + k)]));
    // Numbered consecutively up to the estimated count, which is close to the true one.
    expect(early.lines.map((line) => line.n)).toEqual(Array.from({ length: 7 }, (_, k) => early.totalLines - 7 + k));
    expect(early.from).toBe(early.totalLines - 7);
    expect(early.totalRows).toBe(early.totalLines);
    // (The lines get longer as their numbers do, so the mean length of the first ones underestimates.)
    expect(Math.abs(early.totalLines - count)).toBeLessThan(count * 0.1);
    expect(early.complete).toBe(true);

    await finish();
    const done = await index.read({ from: 0, count: 7, tail: true });
    expect(done.estimated).toBeUndefined();
    expect(done.totalLines).toBe(count);
    expect(shape(done.lines)).toEqual(shape(early.lines));
    expect(done.lines[6]!.n).toBe(count - 1);
  });

  test('the estimated line count comes close as the build goes on, and the tail is not counted twice', async () => {
    const count = 60_000;
    const file = logFile(count);
    const { index, step, finish } = await heldOpen(file);
    while (index.info().indexedLines! < count / 2) await step();
    const info = index.info();
    expect(info.estimated).toBe(true);
    expect(Math.abs(info.totalLines - count)).toBeLessThan(count * 0.03);
    const tail = await index.read({ from: 0, count: 3, tail: true });
    expect(Math.abs(tail.totalLines - count)).toBeLessThan(count * 0.03);
    expect(shape(tail.lines)).toEqual([count - 3, count - 2, count - 1].map((i) => [lineAt(i), levelAt(i)]));
    await finish();
  });

  test('a continuation line at the top of an early tail read gets the level of its entry', async () => {
    const count = 40_000;
    const file = logFile(count);
    const { index, finish } = await heldOpen(file);
    // count - 1 ≡ 4 (mod 5): the last line continues the error entry started on the line before.
    const early = await index.read({ from: 0, count: 1, tail: true });
    expect(shape(early.lines)).toEqual([[lineAt(count - 1), 'error']]);
    await finish();
  });

  test('an unfinished last line is read by an early tail read and the window says the file is not complete', async () => {
    const count = 30_001;
    const file = logFile(count, false);
    const { index, finish } = await heldOpen(file);
    const early = await index.read({ from: 0, count: 2, tail: true });
    expect(shape(early.lines)).toEqual([
      [lineAt(count - 2), levelAt(count - 2)],
      [lineAt(count - 1), levelAt(count - 1)],
    ]);
    expect(early.complete).toBe(false);
    await finish();
    expect(index.info()).toMatchObject({ totalLines: count, complete: false });
  });

  test('head reads are answered from the indexed part and wait only until the build reaches their rows', async () => {
    const count = 50_000;
    const file = logFile(count);
    const { index, step, finish } = await heldOpen(file);
    const head = await index.read({ from: 10, count: 5 });
    expect(head.estimated).toBe(true);
    expect(head.lines.map((line) => line.n)).toEqual([10, 11, 12, 13, 14]);
    expect(shape(head.lines)).toEqual([10, 11, 12, 13, 14].map((i) => [lineAt(i), levelAt(i)]));
    const indexed = head.indexedLines!;
    expect(indexed).toBeGreaterThan(0);

    // Rows past the indexed part: answered once the build gets there, exactly.
    let answered = false;
    const later = index.read({ from: indexed + 100, count: 3 }).then((window) => ((answered = true), window));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    while (!answered) await step();
    expect((await later).lines.map((line) => [line.n, line.text])).toEqual([0, 1, 2].map((k) => [indexed + 100 + k, lineAt(indexed + 100 + k)]));
    await finish();
  });

  test('filtered reads and searches wait for the whole index; info() says when it is complete', async () => {
    const count = 30_000;
    const file = logFile(count);
    const { index, finish } = await heldOpen(file);
    expect(index.info().estimated).toBe(true);
    let filtered: number | undefined;
    const reading = index.read({ from: 0, count: 1, levels: ['warn'] }).then((window) => (filtered = window.totalRows));
    const searching = index.search({ pattern: `line ${count - 3}`, regex: false, caseSensitive: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(filtered).toBeUndefined();
    await finish();
    await reading;
    expect(filtered).toBe(count / 5);
    expect((await searching).matches).toEqual([count - 3]);
    const info = index.info();
    expect(info.estimated).toBeUndefined();
    expect(info.indexedLines).toBeUndefined();
    expect(info).toMatchObject({ totalLines: count, complete: true });
    expect(info.levelCounts).toEqual({ error: 2 * (count / 5), warn: count / 5, info: 2 * (count / 5), verbose: 0, debug: 0, silly: 0 });
  });

  test('follow() reports the end of a progressive build even when the file did not change', async () => {
    const file = logFile(20_000);
    const { index, finish } = await heldOpen(file);
    const seen: boolean[] = [];
    const stop = index.follow((info) => seen.push(info.estimated === true), { intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await finish();
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(seen).toEqual([false]);
  });

  test('small files are indexed before open() resolves', async () => {
    const index = await LogIndex.open(logFile(100));
    expect(index.info()).toMatchObject({ totalLines: 100, complete: true });
    expect(index.info().estimated).toBeUndefined();
  });
});
