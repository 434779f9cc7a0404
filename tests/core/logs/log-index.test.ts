import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LogIndex, MAX_LINE_BYTES } from '../../../src/core/logs/log-index.js';
import { ExpmanError } from '../../../src/core/errors.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function logFile(content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'expman-logs-'));
  dirs.push(dir);
  const file = join(dir, 'run.log');
  writeFileSync(file, content);
  return file;
}

const entry = (level: string, message: string, second = 0): string =>
  `[2026-11-26 05:52:${String(second).padStart(2, '0')}.321] [${level}]  ${message}\n`;

const message = (text: string): string => text.replace(/^\[[^\]]*\] \[\w+\] {2}/, '');

async function allText(index: LogIndex): Promise<string[]> {
  const window = await index.read({ from: 0, count: 10_000 });
  return window.lines.map((line) => line.text);
}

describe('LogIndex', () => {
  test('indexes lines with their electron-log levels; continuation lines carry the level of their entry', async () => {
    const file = logFile(
      'plain text before any header\n' +
        entry('info', 'run started') +
        entry('warn', 'backend webgpu not used') +
        entry('error', 'Error: boom') +
        '    at train (train.ts:1:1)\n' +
        '[not a header] just brackets\n' +
        entry('debug', 'x'),
    );
    const index = await LogIndex.open(file);
    const window = await index.read({ from: 0, count: 100 });
    expect(window.totalLines).toBe(7);
    expect(window.totalRows).toBe(7);
    expect(window.complete).toBe(true);
    expect(window.lines.map((line) => [line.n, line.level])).toEqual([
      [0, undefined],
      [1, 'info'],
      [2, 'warn'],
      [3, 'error'],
      [4, 'error'],
      [5, 'error'],
      [6, 'debug'],
    ]);
    expect(window.lines[4]!.text).toBe('    at train (train.ts:1:1)');
    expect(window.levelCounts).toEqual({ error: 3, warn: 1, info: 1, verbose: 0, debug: 1, silly: 0 });
  });

  test('reads windows from the middle and clamps past the end', async () => {
    const file = logFile(Array.from({ length: 50 }, (_, i) => entry('info', `line ${i}`)).join(''));
    const index = await LogIndex.open(file);
    const middle = await index.read({ from: 20, count: 3 });
    expect(middle.from).toBe(20);
    expect(middle.lines.map((line) => line.text.slice(-7))).toEqual(['line 20', 'line 21', 'line 22']);
    const past = await index.read({ from: 48, count: 10 });
    expect(past.lines.map((line) => line.n)).toEqual([48, 49]);
    const tail = await index.read({ from: 0, count: 3, tail: true });
    expect([tail.from, tail.lines.map((line) => line.n)]).toEqual([47, [47, 48, 49]]);
    const beyond = await index.read({ from: 500, count: 10 });
    expect(beyond.from).toBe(50);
    expect(beyond.lines).toEqual([]);
  });

  test('CRLF line endings are stripped; a last line without newline counts and is not complete', async () => {
    const file = logFile('first\r\nsecond\r\nlast without newline');
    const index = await LogIndex.open(file);
    expect(await allText(index)).toEqual(['first', 'second', 'last without newline']);
    expect(index.info()).toMatchObject({ totalLines: 3, complete: false });
  });

  test('an empty file has no lines; multi-byte UTF-8 is decoded whole', async () => {
    const index = await LogIndex.open(logFile(''));
    expect(index.info()).toMatchObject({ totalLines: 0, fileSize: 0, complete: true });
    const utf8 = await LogIndex.open(logFile('ünïcödé ✓ 日本語\n😀\n'));
    expect(await allText(utf8)).toEqual(['ünïcödé ✓ 日本語', '😀']);
  });

  test('follows growth: appended bytes are indexed, an unfinished line is completed', async () => {
    const file = logFile(entry('info', 'one') + '[2026-11-26 05:52:01.000] [wa');
    const index = await LogIndex.open(file);
    expect(index.totalLines).toBe(2);
    appendFileSync(file, 'rn]  two\n' + entry('error', 'three'));
    expect(await index.refresh()).toBe(true);
    const window = await index.read({ from: 0, count: 10 });
    expect(window.lines.map((line) => [line.text.slice(-5), line.level])).toEqual([
      ['  one', 'info'],
      ['  two', 'warn'],
      ['three', 'error'],
    ]);
    expect(window.complete).toBe(true);
    expect(window.generation).toBe(0);
    expect(await index.refresh()).toBe(false);
  });

  test('follow() reports growth to its listener until stopped', async () => {
    const file = logFile(entry('info', 'one'));
    const index = await LogIndex.open(file);
    const seen: number[] = [];
    let notified!: () => void;
    const grown = new Promise<void>((resolve) => (notified = resolve));
    const stop = index.follow(
      (info) => {
        seen.push(info.totalLines);
        notified();
      },
      { intervalMs: 10 },
    );
    appendFileSync(file, entry('warn', 'two'));
    await grown;
    stop();
    expect(seen).toEqual([2]);
    expect(index.info().levelCounts.warn).toBe(1);
  });

  test('truncation and replacement reset the index and bump the generation', async () => {
    const file = logFile(entry('info', 'a') + entry('info', 'b') + entry('info', 'c'));
    const index = await LogIndex.open(file);
    truncateSync(file, 0);
    appendFileSync(file, 'new\n');
    const window = await index.read({ from: 0, count: 10 });
    expect(window.generation).toBe(1);
    expect(window.lines.map((line) => line.text)).toEqual(['new']);

    // Rotation: a new file renamed over the old one (bigger than before, so only the inode tells).
    const replacement = `${file}.new`;
    writeFileSync(replacement, 'x\n'.repeat(100));
    renameSync(replacement, file);
    const rotated = await index.read({ from: 0, count: 1000 });
    expect(rotated.generation).toBe(2);
    expect(rotated.totalLines).toBe(100);
  });

  test('a missing file is an ExpmanError naming it', async () => {
    const file = join(tmpdir(), 'expman-no-such-dir', 'run.log');
    await expect(LogIndex.open(file)).rejects.toThrow(ExpmanError);
    await expect(LogIndex.open(file)).rejects.toThrow(`${file}: log file not found`);
  });

  test('level filters map rows to lines and include the unfinished last line when it matches', async () => {
    const file = logFile(entry('info', 'i0') + entry('warn', 'w1') + entry('info', 'i2') + entry('error', 'e3') + '  trace of e3\n' + entry('warn', 'w5'));
    const index = await LogIndex.open(file);
    const problems = await index.read({ from: 0, count: 10, levels: ['warn', 'error'] });
    expect(problems.totalRows).toBe(4);
    expect(problems.totalLines).toBe(6);
    expect(problems.lines.map((line) => line.n)).toEqual([1, 3, 4, 5]);
    const second = await index.read({ from: 1, count: 2, levels: ['warn', 'error'] });
    expect(second.lines.map((line) => line.n)).toEqual([3, 4]);
    const none = await index.read({ from: 0, count: 10, levels: [] });
    expect(none.totalRows).toBe(0);

    appendFileSync(file, entry('error', 'e6').trimEnd());
    const grown = await index.read({ from: 0, count: 10, levels: ['error'] });
    expect(grown.lines.map((line) => line.n)).toEqual([3, 4, 6]);
    expect(grown.complete).toBe(false);
  });

  test('a runaway line is clipped when read', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES * 3);
    const index = await LogIndex.open(logFile(`short\n${long}\nafter\n`));
    const [first, clipped, after] = await allText(index);
    expect(first).toBe('short');
    expect(clipped!.startsWith('x'.repeat(MAX_LINE_BYTES))).toBe(true);
    expect(clipped).toMatch(/… \[line clipped: 196,608 bytes\]$/);
    expect(after).toBe('after');
  });
});

describe('LogIndex.search', () => {
  const lines = [
    entry('info', 'epoch 1/3 loss=1.0221'),
    entry('warn', 'backend webgpu not used'),
    entry('info', 'epoch 2/3 loss=0.6284'),
    entry('error', 'Epoch failed'),
    '    at fit (EPOCH.ts:1:1)\r\n',
    entry('info', 'finished'),
  ];

  test('plain text is matched literally, case-insensitively unless asked', async () => {
    const index = await LogIndex.open(logFile(lines.join('')));
    expect((await index.search({ pattern: 'epoch', regex: false, caseSensitive: false })).matches).toEqual([0, 2, 3, 4]);
    expect((await index.search({ pattern: 'epoch', regex: false, caseSensitive: true })).matches).toEqual([0, 2]);
    expect((await index.search({ pattern: 'loss=1.0', regex: false, caseSensitive: true })).matches).toEqual([0]);
    expect((await index.search({ pattern: '1.0.21', regex: false, caseSensitive: true })).matches).toEqual([]);
  });

  test('regular expressions, level filters and rows of the filtered view', async () => {
    const index = await LogIndex.open(logFile(lines.join('')));
    const regex = await index.search({ pattern: String.raw`loss=\d\.\d{4}$`, regex: true, caseSensitive: true });
    expect(regex.matches).toEqual([0, 2]);
    const end = await index.search({ pattern: String.raw`1:1\)$`, regex: true, caseSensitive: true });
    expect(end.matches).toEqual([4]); // the \r of CRLF is not part of the line
    const errors = await index.search({ pattern: 'epoch', regex: false, caseSensitive: false, levels: ['error', 'warn'] });
    expect(errors.matches).toEqual([3, 4]);
    expect(errors.rows).toEqual([1, 2]); // rows of [warn 1, error 3, error 4]
    expect(errors.truncated).toBe(false);
    expect(errors.searchedLines).toBe(6);
  });

  test('an invalid regular expression is an ExpmanError naming the pattern', async () => {
    const file = logFile(lines.join(''));
    const index = await LogIndex.open(file);
    const search = index.search({ pattern: 'loss=(\\d', regex: true, caseSensitive: false });
    await expect(search).rejects.toThrow(ExpmanError);
    await expect(index.search({ pattern: 'loss=(\\d', regex: true, caseSensitive: false })).rejects.toThrow(
      /run\.log: invalid regular expression \/loss=\(\\d\/: Unterminated group/,
    );
    await expect(index.search({ pattern: 'x'.repeat(501), regex: false, caseSensitive: false })).rejects.toThrow(/at most 500/);
    // The same text as plain text is fine.
    expect((await index.search({ pattern: 'loss=(\\d', regex: false, caseSensitive: false })).matches).toEqual([]);
  });

  test('repeating a search after growth finds the new lines, including an unfinished last line', async () => {
    const file = logFile(lines.join(''));
    const index = await LogIndex.open(file);
    const request = { pattern: 'loss', regex: false, caseSensitive: false };
    expect((await index.search(request)).matches).toEqual([0, 2]);
    appendFileSync(file, entry('info', 'epoch 3/3 loss=0.4088') + 'partial loss');
    const grown = await index.search(request);
    expect(grown.matches).toEqual([0, 2, 6, 7]);
    expect(grown.searchedLines).toBe(8);
    appendFileSync(file, ' line\n');
    expect((await index.search(request)).matches).toEqual([0, 2, 6, 7]);
    truncateSync(file, 0);
    appendFileSync(file, 'loss\n');
    const reset = await index.search(request);
    expect(reset).toMatchObject({ matches: [0], generation: 1 });
  });

  test('a 1,000,000-line log indexes, reads and searches correctly', async () => {
    const count = 1_000_000;
    const levels = ['info', 'info', 'info', 'warn', 'debug', 'error'];
    const parts: string[] = [];
    for (let i = 0; i < count; i++) parts.push(entry(levels[i % 6]!, `line ${i} value=${(i * 7) % 1000}`, i % 60));
    const file = logFile(parts.join(''));
    const index = await LogIndex.open(file);
    await index.indexed(); // a file this large is indexed progressively: open() does not wait for it
    expect(index.info()).toMatchObject({ totalLines: count, complete: true });
    // 1,000,000 = 6 × 166,666 + 4: residues 0-3 occur once more.
    expect(index.info().levelCounts).toEqual({ error: 166_666, warn: 166_667, info: 500_001, verbose: 0, debug: 166_666, silly: 0 });
    const middle = await index.read({ from: 654_321, count: 2 });
    expect(middle.lines.map((line) => [line.n, line.level, message(line.text)])).toEqual([
      [654_321, 'warn', 'line 654321 value=247'],
      [654_322, 'debug', 'line 654322 value=254'],
    ]);
    const last = await index.read({ from: count - 1, count: 5 });
    expect(last.lines.map((line) => message(line.text))).toEqual(['line 999999 value=993']);
    const errors = await index.read({ from: 100_000, count: 1, levels: ['error'] });
    expect(errors.totalRows).toBe(166_666);
    expect(errors.lines[0]!.n).toBe(100_000 * 6 + 5);
    const found = await index.search({ pattern: String.raw`line 999\d\d\d value=99\d$`, regex: true, caseSensitive: true, levels: ['warn', 'error'] });
    const expected: number[] = [];
    for (let i = 999_000; i < count; i++) if ((i % 6 === 3 || i % 6 === 5) && (i * 7) % 1000 >= 990) expected.push(i);
    expect(found.matches).toEqual(expected);
    expect(found.matches.length).toBeGreaterThan(0);
  }, 120_000);
});
