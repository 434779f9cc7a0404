import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { cliBundle, newDataDir, repoRoot, testLogDir } from './data-dir.js';

/**
 * `expman ui --data DIR --port 0 --json` as a user starts it: resolves with the process and the token URL
 * it prints, or rejects when it exits first.
 */
export async function startUi(data: string, env: NodeJS.ProcessEnv = {}): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { server, url };
}

/** Debian's Chromium, headless, as the e2e tests drive it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
}

/** Where the e2e tests' screenshots go (looked at by people, not compared). */
export const shotsDir = join(repoRoot, 'test-output', 'e2e');

/** Screenshots of the page at each size, as `<name>-<w>x<h>.png` in shotsDir; the page keeps its own size afterwards. */
export async function screenshot(page: Page, name: string, sizes: ReadonlyArray<readonly [number, number]> = [[1280, 800]]): Promise<void> {
  const before = page.viewportSize();
  for (const [width, height] of sizes) {
    if (before?.width !== width || before.height !== height) await page.setViewportSize({ width, height });
    await page.waitForTimeout(250);
    await page.screenshot({ path: join(shotsDir, `${name}-${width}x${height}.png`) });
  }
  if (before) await page.setViewportSize(before);
}

/** What a file of UI tests shares; filled in by its beforeAll. */
export interface UiSuite {
  /** The data folder `expman ui` serves (a temporary folder, removed after the file's tests). */
  readonly data: string;
  /** The token URL `expman ui` printed. */
  readonly url: string;
  readonly browser: Browser;
  readonly server: ChildProcess;
}

/**
 * One e2e file's setup: a fresh data folder (with the bundled Iris unless `iris: false`), prepared by
 * `prepare` (CLI runs, configs, files), `expman ui` serving it and headless Chromium; all closed and
 * removed after the file's tests.
 */
export function uiSuite(options: { name: string; iris?: boolean; prepare?: (data: string) => void | Promise<void>; env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv); timeoutMs?: number }): UiSuite {
  const suite: { -readonly [K in keyof UiSuite]?: UiSuite[K] } = {};
  beforeAll(async () => {
    mkdirSync(shotsDir, { recursive: true });
    suite.data = newDataDir(`expman-e2e-${options.name}-`, options.iris ?? true);
    await options.prepare?.(suite.data);
    const { server, url } = await startUi(suite.data, typeof options.env === 'function' ? options.env() : options.env);
    suite.server = server;
    suite.url = url;
    suite.browser = await launchChromium();
  }, options.timeoutMs ?? 60_000);
  afterAll(async () => {
    await suite.browser?.close();
    suite.server?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (suite.data) rmSync(suite.data, { recursive: true, force: true });
  }, 60_000);
  const field = <K extends keyof UiSuite>(key: K): UiSuite[K] => {
    const value = suite[key];
    if (value === undefined) throw new Error(`uiSuite(${options.name}): ${key} is not ready (read it inside a test, after beforeAll)`);
    return value;
  };
  return {
    get data() {
      return field('data');
    },
    get url() {
      return field('url');
    },
    get browser() {
      return field('browser');
    },
    get server() {
      return field('server');
    },
  };
}
