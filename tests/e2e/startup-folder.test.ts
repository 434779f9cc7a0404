import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cliBundle, testLogDir } from '../helpers/data-dir.js';
import { writeDataTree } from '../helpers/data-tree.js';

/**
 * `expman ui FOLDER` opens that folder's page in real Chromium: the focus is chosen before any page
 * exists, so the page must ask for it when it loads (it used to wait for a push that had already gone).
 */
let data: string;
let browser: Browser;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'expman-e2e-startup-'));
  writeDataTree(data, { weights: 100 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) server.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(data, { recursive: true, force: true });
});

/** Starts `expman ui FOLDER` and resolves with the printed token URL. */
async function serve(folder: string): Promise<string> {
  const server = spawn(process.execPath, [cliBundle, 'ui', folder, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(server);
  return new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
}

test('a run folder opens that run; a link to another place keeps its place', async () => {
  const url = await serve(join(data, 'experiments', 'e2', 'models', 'run-1'));
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForURL(/#\/runs\/e2\/run-1$/, { timeout: 15_000 });
  await expect.poll(() => page.getByRole('region', { name: 'Run e2/run-1' }).count(), { timeout: 15_000 }).toBe(1);

  // A reload of (or a link to) a page of its own is not sent to the startup run.
  await page.goto(`${url}#/datasets`);
  await page.reload();
  await expect.poll(() => page.getByText('prepared-dataset').count(), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(new URL(page.url()).hash).toBe('#/datasets');
  expect(errors).toEqual([]);
  await page.close();
});

test('an experiment folder opens that experiment', async () => {
  const url = await serve(join(data, 'experiments', 'e1'));
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForURL(/#\/experiments\/e1$/, { timeout: 15_000 });
  await expect.poll(() => page.getByRole('heading', { name: 'e1', level: 1 }).count(), { timeout: 15_000 }).toBe(1);
  await page.close();
});
