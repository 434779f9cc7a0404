import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expman, repoRoot } from '../helpers/data-dir.js';
import { screenshot, uiSuite } from '../helpers/ui-session.js';

/**
 * A model module from the browser UI, in real Chromium against `expman ui`: the picker lists the built-in
 * model, the digits CNN and a broken module (with its error); picking the CNN and a param in the form,
 * saving and starting a run trains it with live charts. Screenshots go to test-output/e2e/.
 */
const ui = uiSuite({
  name: 'module',
  iris: false,
  prepare: (data) => {
    mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
    const script = `from sklearn.datasets import load_digits
import sys
d = load_digits(as_frame=True)
f = d.frame.copy()
f['target'] = ['d%d' % t for t in d.target]
f.to_csv(sys.argv[1], index=False)`;
    expect(spawnSync('/usr/bin/python3', ['-c', script, join(data, 'datasets/external/digits.csv')]).status).toBe(0);
    expect(expman(['preprocess', '--data', data, '--dataset', 'digits', '--label', 'target', '--separate-sets']).code).toBe(0);
    mkdirSync(join(data, 'models'));
    copyFileSync(join(repoRoot, 'examples/models/digits-cnn.mjs'), join(data, 'models/digits-cnn.mjs'));
    writeFileSync(join(data, 'models/broken.mjs'), 'export default function build() {\n  return 1 +;\n}\n');
    mkdirSync(join(data, 'experiments', 'default'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'default', 'config.toml'), '[training]\nepochs = 6\nbatch_size = 32\nlearning_rate = 0.003\nbackend = "wasm"\n\n[logging]\nbatch_interval_ms = 0\n');
  },
});

test('pick the digits CNN in the config form, set a param, train it and watch its charts', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  await expect.poll(() => page.getByTestId('experiments-list').locator('[data-experiment="default"]').count()).toBe(1);
  await page.locator('[data-experiment="default"] > a.item').first().click();
  await page.getByRole('button', { name: 'Form', exact: true }).click();
  const picker = page.getByLabel('type', { exact: true });
  await expect.poll(() => picker.locator('option').allTextContents(), { timeout: 15_000 }).toContain('digits-cnn (models/digits-cnn.mjs)');
  expect(await picker.locator('option').allTextContents()).toContain('broken (models/broken.mjs) — cannot load');
  await expect.poll(() => page.locator('.cfg-model-error[data-model="broken"]').textContent()).toMatch(/models\/broken\.mjs:2: syntax error: Unexpected token/);
  await picker.selectOption('digits-cnn');
  const filters = page.getByLabel('filters', { exact: true });
  await expect.poll(() => filters.count(), { timeout: 10_000 }).toBe(1);
  // The live validation checks the param against the module's paramsSchema, with line and key.
  await filters.fill('0');
  await filters.blur();
  const problems = page.getByRole('list', { name: 'Problems' });
  await expect.poll(() => problems.textContent(), { timeout: 15_000 }).toMatch(/Line \d+:1\s*model\.params\.filters: expected integer ≥ 1 and ≤ 256, got integer 0/);
  await expect(page.locator('.cfg-field', { has: filters }).getByRole('alert').allTextContents()).resolves.toEqual(['filters: expected integer ≥ 1 and ≤ 256, got integer 0']);
  await expect(page.getByRole('button', { name: 'Save' }).isEnabled()).resolves.toBe(false);
  await filters.scrollIntoViewIfNeeded();
  await screenshot(page, 'module-0-param-problem');
  await filters.fill('8');
  await filters.blur();
  await expect.poll(() => problems.count(), { timeout: 15_000 }).toBe(0);
  await expect.poll(() => page.getByRole('button', { name: 'Save' }).isEnabled(), { timeout: 10_000 }).toBe(true);
  await screenshot(page, 'module-1-picker');
  await page.getByRole('button', { name: 'Save' }).click();
  const configFile = join(ui.data, 'experiments', 'default', 'config.toml');
  await expect.poll(() => readFileSync(configFile, 'utf8'), { timeout: 10_000 }).toMatch(/type = "digits-cnn"[\s\S]*filters = 8/);

  await page.getByLabel('Run name').fill('cnn');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/default\/cnn$/);
  await expect.poll(() => page.getByTestId('run-charts').count(), { timeout: 30_000 }).toBe(1);
  await expect.poll(() => page.locator('.badge[data-status="finished"]').first().count(), { timeout: 120_000 }).toBe(1);
  await expect.poll(async () => Number((await page.getByTestId('run-charts').getAttribute('data-epochs')) ?? 0), { timeout: 10_000 }).toBe(6);
  await screenshot(page, 'module-2-run-charts');
  const run = join(ui.data, 'experiments', 'default', 'models', 'cnn');
  expect(existsSync(join(run, 'model-module.mjs'))).toBe(true);
  expect(readFileSync(join(run, 'config.toml'), 'utf8')).toMatch(/^params = \{ filters = 8 \}$/m);
  expect(errors).toEqual([]);
});
