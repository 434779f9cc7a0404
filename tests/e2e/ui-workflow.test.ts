import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { screenshot, uiSuite } from '../helpers/ui-session.js';

/**
 * The whole path a new user takes in the browser UI, in real Chromium against `expman ui` on a fresh data
 * folder holding only the bundled Iris CSV: preprocess, edit the config, train (watching the chart and
 * the log grow), test, start and stop a second run, compare the two. Screenshots of every view at
 * 1280×800 and 1920×1080 go to test-output/e2e/.
 */
const ui = uiSuite({ name: 'flow' });
const shot = (page: Page, name: string): Promise<void> => screenshot(page, name, [
  [1280, 800],
  [1920, 1080],
]);

const epochsShown = async (page: Page): Promise<number> => Number((await page.getByTestId('run-charts').getAttribute('data-epochs')) ?? 0);

test('from the bundled Iris to a trained, tested, compared pair of runs without a terminal', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  await expect.poll(() => page.getByTestId('experiments-list').locator('[data-experiment="default"]').count()).toBe(1);
  await shot(page, '1-home');

  // 1. Preprocess Iris in the Datasets view.
  await page.getByRole('link', { name: 'Datasets' }).first().click();
  await page.getByRole('button', { name: 'Preprocess…' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Preprocess', exact: true }).click();
  await expect.poll(() => existsSync(join(ui.data, 'datasets', 'prepared-dataset', 'train.csv')), { timeout: 30_000 }).toBe(true);
  await expect.poll(() => page.getByText('prepared-dataset').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  await shot(page, '2-datasets');

  // 2. Edit the experiment's config in the editor: an invalid value is flagged, a valid one saved.
  await page.locator('[data-experiment="default"] > a.item').first().click();
  const editor = page.locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('[training]\nepochs = "many"\n');
  await expect.poll(() => page.locator('.cfg-issues').textContent(), { timeout: 10_000 }).toMatch(/training\.epochs/);
  await expect(page.getByRole('button', { name: 'Save' }).isDisabled()).resolves.toBe(true);
  await shot(page, '3-config-invalid');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText('[training]\nepochs = 400\nearly_stopping.enabled = false\n\n[logging]\nbatch_interval_ms = 0\n');
  await expect.poll(() => page.getByRole('button', { name: 'Save' }).isEnabled(), { timeout: 10_000 }).toBe(true);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => (existsSync(join(ui.data, 'experiments', 'default', 'config.toml')) ? readFileSync(join(ui.data, 'experiments', 'default', 'config.toml'), 'utf8') : '')).toMatch(/epochs = 400/);
  await shot(page, '4-config-saved');

  // 3. Launch a run and watch the chart gain points and the log follow while it trains.
  await page.getByLabel('Run name').fill('first');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/default\/first$/);
  await expect.poll(() => page.getByTestId('run-charts').count(), { timeout: 30_000 }).toBe(1);
  const early = await epochsShown(page);
  await expect.poll(() => epochsShown(page), { timeout: 30_000 }).toBeGreaterThan(early);
  await shot(page, '5-run-live');
  await page.getByRole('link', { name: 'Logs' }).click();
  const logStatus = page.locator('.logv-status');
  await expect.poll(() => logStatus.textContent(), { timeout: 10_000 }).toMatch(/\d+ lines/);
  const linesAt = async (): Promise<number> => Number(/([\d,]+) lines/.exec((await logStatus.textContent()) ?? '')?.[1]?.replace(/,/g, '') ?? 0);
  const before = await linesAt();
  await expect.poll(linesAt, { timeout: 30_000 }).toBeGreaterThan(before);
  await shot(page, '6-run-log');
  await expect.poll(() => page.locator('.badge[data-status="finished"]').first().count(), { timeout: 90_000 }).toBe(1);

  // 4. Test it: the results tab shows metrics and the confusion matrix.
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await expect.poll(() => page.getByTestId('run-results').count(), { timeout: 60_000 }).toBe(1);
  await expect(page.locator('table.confusion tbody tr').count()).resolves.toBe(3);
  await shot(page, '7-run-results');

  // 5. A second run with an override; stop it while it trains.
  await page.locator('[data-experiment="default"] > a.item').first().click();
  await page.getByLabel('Overrides').fill('training.epochs=5000');
  await page.getByLabel('Run name').fill('second');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/default\/second$/);
  await expect.poll(() => page.getByTestId('run-charts').count(), { timeout: 30_000 }).toBe(1);
  await expect.poll(() => epochsShown(page), { timeout: 30_000 }).toBeGreaterThan(2);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect.poll(() => page.locator('.view-head .badge').getAttribute('data-status'), { timeout: 30_000 }).toBe('stopped');
  expect(JSON.parse(readFileSync(join(ui.data, 'experiments', 'default', 'models', 'second', 'status.json'), 'utf8')).status).toBe('stopped');
  await shot(page, '8-run-stopped');

  // 6. Compare the two: overlaid charts and the config key that differs.
  await page.goto(`${new URL(ui.url).origin}/#/compare?runs=default/first,default/second`);
  const diff = page.getByTestId('config-diff');
  await expect.poll(() => diff.textContent(), { timeout: 15_000 }).toMatch(/training\.epochs/);
  const diffText = (await diff.textContent()) ?? '';
  // the differing key's row: first 400, second 5000
  await expect(diff.locator('tr', { hasText: 'training.epochs' }).locator('td').allTextContents()).resolves.toEqual(['400', '5000']);
  expect(diffText).not.toMatch(/model\.hidden_units/);
  await shot(page, '9-compare');

  expect(errors).toEqual([]);
  await page.close();
}, 300_000);
