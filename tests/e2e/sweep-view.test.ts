import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { expman } from '../helpers/data-dir.js';
import { screenshot, uiSuite } from '../helpers/ui-session.js';

/**
 * The sweep view in real Chromium against `expman ui`: a grid sweep run by the CLI beforehand (median stopping
 * prunes hopeless learning rates) shows its parallel coordinates (brushing filters), the scatter, parameter
 * importance, the best trial and the pruned ones; the launcher refuses a bad definition with its line and
 * starts a good one. Screenshots go to test-output/e2e/.
 */
const ui = uiSuite({
  name: 'sweep',
  timeoutMs: 180_000,
  prepare: (data) => {
    expect(expman(['preprocess', '--data', data, '--split=0.8', '--separate-sets']).code).toBe(0);
    writeFileSync(
      join(data, 'lr-grid.toml'),
      `method = "grid"\nmetric = "val_loss"\ngoal = "minimize"\nparallel = 2\n[set]\n"training.epochs" = 30\n"training.optimizer" = "sgd"\n"training.early_stopping.enabled" = false\n"logging.batch_interval_ms" = 100000\n[parameters]\n"training.learning_rate" = [0.3, 0.1, 0.01, 0.000001]\n"training.batch_size" = [16, 32]\n[pruner]\ntype = "median"\nwarmup_epochs = 3\nmin_trials = 2\n`,
    );
    const sweep = expman(['sweep', 'start', join(data, 'lr-grid.toml'), '--data', data]);
    expect(sweep.code, sweep.stderr).toBe(0);
  },
});
// Tall enough for the whole view (the main area scrolls, so a full-page shot would cut it).
const shot = (page: Page, name: string): Promise<void> => screenshot(page, name, [[1280, 1500]]);

test('the sweep view: parallel coordinates with brushing, scatter, importance, best and pruned trials; the launcher', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  await page.getByRole('link', { name: 'Sweeps', exact: true }).click();
  await expect.poll(() => page.getByTestId('sweeps-list').locator('tbody tr').count()).toBe(1);
  await page.getByRole('link', { name: 'default/lr-grid' }).click();
  await expect.poll(() => page.getByTestId('sweep-status').textContent()).toBe('finished');

  const lines = page.getByTestId('sweep-parallel').locator('polyline');
  await expect.poll(() => lines.count()).toBe(8);
  expect(await page.getByTestId('sweep-parallel').locator('polyline[data-best="true"]').count()).toBe(1);
  expect(await page.getByTestId('sweep-scatter').locator('circle').count()).toBe(8);
  expect(await page.getByTestId('sweep-trials').locator('[data-status="pruned"]').count()).toBeGreaterThan(0);
  expect(await page.getByTestId('sweep-trials').locator('tr[data-best="true"]').count()).toBe(1);
  expect(await page.getByTestId('sweep-importance').locator('tbody tr').count()).toBe(2);
  // The learning rate decides this sweep, not the batch size.
  expect(await page.getByTestId('sweep-importance').locator('tbody tr').first().locator('td').first().textContent()).toBe('training.learning_rate');
  await shot(page, 'sweep-1-view');

  // Brush the metric axis to its lower (better) part: the trials above it fade.
  const axis = page.locator('rect[data-axis="val_loss"]');
  const box = (await axis.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  const inside = await page.getByTestId('sweep-parallel').locator('polyline[data-inside="true"]').count();
  expect(inside).toBeGreaterThan(0);
  expect(inside).toBeLessThan(8);
  // The brush reaches the axis's end: the best (lowest) trial is in.
  expect(await page.getByTestId('sweep-parallel').locator('polyline[data-best="true"]').getAttribute('data-inside')).toBe('true');
  await expect.poll(() => page.getByRole('button', { name: /Clear filters/ }).textContent()).toBe(`Clear filters (${inside} of 8 shown)`);
  await shot(page, 'sweep-2-brushed');

  // The launcher: a bad definition is refused with its line; a good one starts and shows its view.
  await page.getByRole('link', { name: 'Sweeps', exact: true }).click();
  await page.getByLabel('sweep name').fill('from-ui');
  const definition = page.getByLabel('sweep definition');
  await definition.fill('method = "random"\nmetric = "val_accuracy"\ngoal = "maximize"\n[budget]\ntrials = 2\n[parameters]\n"training.learning_rat" = { log_uniform = [0.001, 0.1] }\n');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect.poll(() => page.getByTestId('sweep-error').textContent()).toMatch(/sweep\.toml:7:1: parameters\.training\.learning_rat: training\.learning_rat is not a config key \(did you mean training\.learning_rate\?\)/);
  await definition.fill('method = "random"\nmetric = "val_accuracy"\ngoal = "maximize"\n[budget]\ntrials = 2\n[set]\n"training.epochs" = 3\n[parameters]\n"training.learning_rate" = { log_uniform = [0.001, 0.1] }\n');
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect.poll(() => page.getByTestId('sweep-view').count()).toBe(1);
  await expect.poll(() => page.getByTestId('sweep-status').textContent(), { timeout: 60_000 }).toBe('finished');
  expect(await page.getByTestId('sweep-trials').locator('tbody tr').count()).toBe(2);
  await shot(page, 'sweep-3-launched');
  expect(errors).toEqual([]);
}, 180_000);
