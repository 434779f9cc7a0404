import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cliBundle, irisCsv, testLogDir } from '../helpers/data-dir.js';

/**
 * The data folder is the truth: with the browser UI open, a run started from the CLI (a separate process)
 * appears without a reload, its epochs grow live, and it shows finished when it ends.
 */
let server: ChildProcess | undefined;
let train: ChildProcess | undefined;
let browser: Browser;
let data: string;
let url: string;
const env = { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir };

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'expman-e2e-live-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  const prep = spawnSync(process.execPath, [cliBundle, 'preprocess', '--data', data], { env, encoding: 'utf8' });
  expect(prep.status, prep.stderr).toBe(0);
  server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolve, reject) => {
    server!.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server!.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
});

afterAll(async () => {
  await browser?.close();
  train?.kill('SIGKILL');
  server?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(data, { recursive: true, force: true });
});

test('a CLI run appears in the open page, grows live and ends finished, without a reload', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await expect.poll(() => page.getByTestId('experiments-list').locator('[data-experiment="default"]').count()).toBe(1);
  // A marker that a reload would wipe.
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

  const epochs = 200;
  train = spawn(
    process.execPath,
    [cliBundle, 'train', '--data', data, '--experiment', 'from-cli', '--model', 'cli-run', '--set', `training.epochs=${epochs}`, '--set', 'training.batch_size=4', '--set', 'training.early_stopping.enabled=false'],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  train.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => train!.once('exit', resolve));

  // The new experiment and its run show up in the sidebar, running.
  const row = page.locator('[data-run="from-cli/cli-run"]');
  await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
  await expect.poll(() => row.locator('[data-status]').getAttribute('data-status'), { timeout: 10_000 }).toBe('running');

  // Its page (hash navigation, no reload): the chart's epoch count grows while the CLI trains.
  await row.click();
  await expect.poll(() => page.getByTestId('run-charts').count(), { timeout: 10_000 }).toBe(1);
  const epochsShown = async (): Promise<number> => Number((await page.getByTestId('run-charts').getAttribute('data-epochs')) ?? 0);
  await expect.poll(epochsShown, { timeout: 20_000 }).toBeGreaterThan(0);
  const early = await epochsShown();
  await expect.poll(epochsShown, { timeout: 20_000 }).toBeGreaterThan(early + 5);
  await expect.poll(() => page.getByTestId('run-live').textContent()).toMatch(/^running here \(pid \d+\)$/);
  const badge = page.locator('.view-head [data-status]');
  expect(await badge.getAttribute('data-status')).toBe('running');

  // It ends: finished, every epoch shown, still the same page.
  expect(await exited, stderr).toBe(0);
  await expect.poll(() => badge.getAttribute('data-status'), { timeout: 5_000 }).toBe('finished');
  await expect.poll(epochsShown, { timeout: 5_000 }).toBe(epochs);
  await expect.poll(() => row.locator('[data-status]').getAttribute('data-status')).toBe('finished');
  expect(await page.getByTestId('run-live').count()).toBe(0);
  expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await page.close();
});

test('a CLI run shows a Stop button in the open page, and Stop ends it as stopped', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  const cli = spawn(
    process.execPath,
    [cliBundle, 'train', '--data', data, '--experiment', 'from-cli', '--model', 'stop-me', '--set', 'training.epochs=5000', '--set', 'training.batch_size=4', '--set', 'training.early_stopping.enabled=false'],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  train = cli;
  let stderr = '';
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => cli.once('exit', (code, signal) => resolve({ code, signal })));

  const row = page.locator('[data-run="from-cli/stop-me"]');
  await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
  await row.click();
  const stop = page.locator('.view-head').getByRole('button', { name: 'Stop', exact: true });
  await stop.waitFor({ timeout: 15_000 });
  await expect.poll(() => page.getByTestId('run-charts').getAttribute('data-epochs'), { timeout: 20_000 }).not.toBe('0');
  await stop.click();

  // The CLI process (not a child of the server) ends on the signal and records itself as stopped.
  const end = await exited;
  expect(end.signal === 'SIGKILL', stderr).toBe(false);
  const status = JSON.parse(readFileSync(join(data, 'experiments', 'from-cli', 'models', 'stop-me', 'status.json'), 'utf8')) as { status: string };
  expect(status.status).toBe('stopped');
  await expect.poll(() => page.locator('.view-head [data-status]').getAttribute('data-status'), { timeout: 10_000 }).toBe('stopped');
  expect(await page.locator('.view-head').getByRole('button', { name: 'Stop', exact: true }).count()).toBe(0);
  expect(await page.locator('.view-head').getByRole('button', { name: 'Resume' }).count()).toBe(1);
  await page.close();
});
