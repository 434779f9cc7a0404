import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cliBundle, testLogDir } from '../helpers/data-dir.js';

let server: ChildProcess;
let browser: Browser;
let data: string;
let url: string;
const SAVED = '[training]\nepochs = 40\n';

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'expman-e2e-conflict-'));
  mkdirSync(join(data, 'experiments', 'e1'), { recursive: true });
  writeFileSync(join(data, 'experiments', 'e1', 'config.toml'), SAVED);
  server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

async function openEditor(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.goto(`${url.split('#')[0]}#/experiments/e1`);
  await page.waitForSelector('.cm-content', { state: 'attached' });
  await page.getByRole('button', { name: 'Text' }).click();
  return page;
}

/** Replaces `epochs = 40` in the editor's text with another value and saves. */
async function editAndSave(page: Page, epochs: number): Promise<void> {
  await page.getByText('epochs = 40').click(); // the cursor on that line, which is then replaced
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.type(`epochs = ${epochs}`);
  await expect.poll(() => page.getByRole('button', { name: /^Save/ }).isEnabled(), { timeout: 10_000 }).toBe(true);
  await page.getByRole('button', { name: /^Save/ }).click();
}

test('two tabs edit config.toml: the second save is caught, shown as a diff, and can overwrite', { timeout: 90_000 }, async () => {
  const file = join(data, 'experiments', 'e1', 'config.toml');
  const tabA = await openEditor();
  const tabB = await openEditor();

  await editAndSave(tabB, 41);
  await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toBe('[training]\nepochs = 41\n');

  await editAndSave(tabA, 42);
  const conflict = tabA.getByRole('alertdialog', { name: 'Save conflict' });
  await conflict.waitFor({ timeout: 10_000 });
  expect(await conflict.locator('[data-kind=removed]').allTextContents()).toEqual(['−epochs = 41']);
  expect(await conflict.locator('[data-kind=added]').allTextContents()).toEqual(['+epochs = 42']);
  expect(readFileSync(file, 'utf8')).toBe('[training]\nepochs = 41\n');

  await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
  await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toBe('[training]\nepochs = 42\n');
  await expect.poll(() => tabA.getByRole('alertdialog').count()).toBe(0);
});
