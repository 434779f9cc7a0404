import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { LogRegistry } from '../../../src/core/logs/log-registry.js';
import type { LogInfo } from '../../../src/shared/logs.js';

const dirs: string[] = [];
const registries: LogRegistry[] = [];
afterEach(() => {
  while (registries.length) registries.pop()!.close();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function setup(): { registry: LogRegistry; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'expman-log-registry-'));
  dirs.push(dir);
  const registry = new LogRegistry(2, 10);
  registries.push(registry);
  return { registry, dir };
}

test('reads and searches several logs, and a missing log fails without being cached', async () => {
  const { registry, dir } = setup();
  const a = join(dir, 'a.log');
  const b = join(dir, 'b.log');
  writeFileSync(a, 'alpha\nbeta\n');
  writeFileSync(b, 'gamma\n');
  expect((await registry.read(a, { from: 0, count: 10 })).lines.map((line) => line.text)).toEqual(['alpha', 'beta']);
  expect((await registry.search(b, { pattern: 'GAM', regex: false, caseSensitive: false })).matches).toEqual([0]);

  const later = join(dir, 'later.log');
  await expect(registry.read(later, { from: 0, count: 1 })).rejects.toThrow(`${later}: log file not found`);
  writeFileSync(later, 'now here\n');
  expect((await registry.read(later, { from: 0, count: 1 })).lines[0]!.text).toBe('now here');
});

test('watchers of one file share its follow and hear growth until they unsubscribe', async () => {
  const { registry, dir } = setup();
  const file = join(dir, 'run.log');
  writeFileSync(file, 'one\n');
  const first: number[] = [];
  const second: number[] = [];
  let heard!: () => void;
  const grown = new Promise<void>((resolve) => (heard = resolve));
  const stopFirst = registry.watch(file, (info: LogInfo) => first.push(info.totalLines));
  const stopSecond = registry.watch(file, (info: LogInfo) => {
    second.push(info.totalLines);
    heard();
  });
  await registry.read(file, { from: 0, count: 1 });
  appendFileSync(file, 'two\n');
  await grown;
  expect(first).toEqual([2]);
  expect(second).toEqual([2]);
  stopFirst();
  stopSecond();
  appendFileSync(file, 'three\n');
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(first).toEqual([2]);
  expect((await registry.read(file, { from: 0, count: 5 })).totalLines).toBe(3);
});
