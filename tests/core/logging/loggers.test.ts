import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';

// electron-log keeps the console methods it finds when it is loaded: record what reaches them from here on.
const printed = vi.hoisted(() => {
  const lines: unknown[][] = [];
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      lines.push(args);
      original(...args);
    };
  }
  return lines;
});

import { fileLogger } from '../../../src/core/logging/loggers.js';

test('writes lines to its file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'expman-log-'));
  const logger = fileLogger(join(dir, 'logs', 'run.log'));
  logger.info('hello', 42);
  expect(readFileSync(join(dir, 'logs', 'run.log'), 'utf8')).toMatch(/\[info\]\s+hello 42\n$/);
  rmSync(dir, { recursive: true });
});

test('a line it cannot write (its folder removed meanwhile) prints nothing: the run says so in one line of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'expman-log-'));
  const logger = fileLogger(join(dir, 'logs', 'run.log'));
  logger.info('first');
  rmSync(dir, { recursive: true });
  printed.length = 0;
  logger.info('after the folder went');
  logger.error('and again');
  expect(printed.map((args) => args.map(String).join(' '))).toEqual([]);
});
