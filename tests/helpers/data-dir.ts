import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliBundle = join(repoRoot, 'out', 'cli', 'expman.mjs');
export const irisCsv = join(repoRoot, 'data', 'datasets', 'external', 'iris.csv');
/** The application log of CLI runs started by tests (kept out of the tester's home). */
export const testLogDir = mkdtempSync(join(tmpdir(), 'expman-test-logs-'));

const created: string[] = [];
afterEach(() => {
  while (created.length) rmSync(created.pop()!, { recursive: true, force: true });
});

/** A fresh $DATA folder (named after prefix) holding the shipped raw Iris file unless withIris is false; the caller removes it. */
export function newDataDir(prefix = 'expman-test-', withIris = true): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (withIris) {
    mkdirSync(join(dir, 'datasets', 'external'), { recursive: true });
    cpSync(irisCsv, join(dir, 'datasets', 'external', 'iris.csv'));
  }
  return dir;
}

/** A fresh $DATA folder holding only the shipped raw Iris file; removed after the test. */
export function tempDataDir(withIris = true): string {
  const dir = newDataDir('expman-test-', withIris);
  created.push(dir);
  return dir;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`expman …`) in a plain Node process, as a user would. */
export function expman(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, [cliBundle, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, ...options.env },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking the test process (for runs that are signalled mid-way). */
export function expmanAsync(args: string[]) {
  return spawn(process.execPath, [cliBundle, ...args], { cwd: repoRoot, env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** JSON lines of a --json run. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}

/** Every file under dir (relative paths, sorted), for "nothing was written" assertions. */
export function listTree(dir: string): string[] {
  const result = spawnSync('find', [dir, '-mindepth', '1'], { encoding: 'utf8' });
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(dir.length + 1))
    .sort();
}

/** A Python that has pandas: Debian's python3-pandas installs for /usr/bin/python3, which may not be first on PATH. */
export function pythonWithPandas(): string {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0) return python;
  }
  throw new Error('no python3 with pandas found: install Debian python3-pandas (.ci/run does)');
}
