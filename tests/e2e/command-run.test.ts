import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expman, repoRoot } from '../helpers/data-dir.js';
import { screenshot, uiSuite } from '../helpers/ui-session.js';

/**
 * A command run from the browser UI, in real Chromium against `expman ui`: the experiment's form sets the
 * command and [params], Start run trains the PyTorch example (examples/pytorch) in a worker, and the run
 * view shows its live charts (its own `lr` metric included) and the script's output in the log; compared
 * with a built-in tfjs run, both curves and the command and params in the config diff.
 * Screenshots go to test-output/e2e/.
 */
// Debian's python3-torch installs for /usr/bin/python3, which may not be the first python3 on PATH.
const PATH = `/usr/bin:${process.env['PATH'] ?? ''}`;
const ui = uiSuite({
  name: 'command',
  env: { PATH },
  prepare: (data) => {
    expect(expman(['preprocess', '--data', data]).code).toBe(0);
    const code = join(data, 'experiments', 'torch', 'code');
    mkdirSync(code, { recursive: true });
    for (const name of ['model.py', 'train.py', 'test.py']) cpSync(join(repoRoot, 'examples/pytorch', name), join(code, name));
    cpSync(join(repoRoot, 'python/expman_run.py'), join(code, 'expman_run.py'));
    writeFileSync(join(data, 'experiments', 'torch', 'config.toml'), '[training]\nepochs = 12\n');
  },
});

test('set a command and params in the form, start the run, watch its live chart and log', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  await expect.poll(() => page.getByTestId('experiments-list').locator('[data-experiment="torch"]').count()).toBe(1);
  await page.locator('[data-experiment="torch"] > a.item').first().click();
  await page.getByRole('button', { name: 'Form', exact: true }).click();
  const train = page.getByRole('group', { name: '[command]' }).getByLabel('train', { exact: true });
  await train.fill('python3 train.py');
  await train.blur();
  const testCommand = page.getByRole('group', { name: '[command]' }).getByLabel('test', { exact: true });
  await testCommand.fill('["python3", "test.py"]');
  await testCommand.blur();
  const params = page.getByRole('group', { name: '[params]' }).getByLabel('params', { exact: true });
  // epoch_delay keeps the run going long enough to be watched live.
  await params.fill('lr = 0.02\nepoch_delay = 0.4');
  await params.blur();
  await expect.poll(() => page.getByRole('button', { name: 'Save' }).isEnabled(), { timeout: 10_000 }).toBe(true);
  await screenshot(page, 'command-1-form');
  await page.getByRole('button', { name: 'Save' }).click();
  const configFile = join(ui.data, 'experiments', 'torch', 'config.toml');
  await expect.poll(() => readFileSync(configFile, 'utf8'), { timeout: 10_000 }).toMatch(/train = \["python3", "train\.py"\]\ntest = \["python3", "test\.py"\][\s\S]*\[params\]\nlr = 0\.02\nepoch_delay = 0\.4/);

  await page.getByLabel('Run name').fill('live');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/torch\/live$/);
  // Live: charts fill while the run is still running.
  await expect.poll(async () => Number((await page.getByTestId('run-charts').getAttribute('data-epochs').catch(() => null)) ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
  expect(await page.locator('.badge[data-status="running"]').count()).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.panel', { hasText: 'lr per epoch' }).count()).toBe(1);
  await screenshot(page, 'command-2-live-charts');

  await page.locator('nav.tabs a', { hasText: 'Logs' }).click();
  await expect.poll(() => page.locator('body').textContent(), { timeout: 20_000 }).toMatch(/epoch \d+\/12 loss=/);
  await screenshot(page, 'command-3-live-log');
  await page.locator('nav.tabs a', { hasText: 'Charts' }).click();
  await expect.poll(() => page.locator('.badge[data-status="finished"]').first().count(), { timeout: 60_000 }).toBe(1);
  await expect.poll(async () => Number((await page.getByTestId('run-charts').getAttribute('data-epochs')) ?? 0), { timeout: 10_000 }).toBe(12);
  await screenshot(page, 'command-4-finished');
  // Test runs the test command; its metrics.csv is the run's test result.
  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await expect.poll(() => page.locator('.stat', { hasText: 'Test accuracy' }).textContent(), { timeout: 60_000 }).toMatch(/Test accuracy\s*(0\.[89]\d{3}|1\.0000)/);
  await page.locator('nav.tabs a', { hasText: 'Results' }).click();
  await expect.poll(() => page.getByTestId('run-results').textContent(), { timeout: 10_000 }).toMatch(/Accuracy\s*0\.\d{4}/);
  await screenshot(page, 'command-4b-results');
  const config = readFileSync(join(ui.data, 'experiments', 'torch', 'models', 'live', 'config.toml'), 'utf8');
  expect(config).toMatch(/^command = \[ "python3", "train\.py" \]$/m);

  // Compared with a built-in tfjs run on the same dataset: both curves, and the command and params in the diff.
  mkdirSync(join(ui.data, 'experiments', 'tfjs'), { recursive: true });
  writeFileSync(join(ui.data, 'experiments', 'tfjs', 'config.toml'), '[training]\nepochs = 12\nbackend = "wasm"\n');
  expect(expman(['train', '--data', ui.data, '--experiment', 'tfjs', '--model', 'builtin']).code).toBe(0);
  await page.goto(`${new URL(ui.url).origin}/#/compare?runs=torch/live,tfjs/builtin`);
  const diff = page.getByTestId('config-diff');
  await expect.poll(() => diff.textContent(), { timeout: 15_000 }).toMatch(/command\.train/);
  expect((await diff.textContent()) ?? '').toMatch(/params\.lr[\s\S]*0\.02/);
  await expect.poll(() => page.locator('.panel', { hasText: 'Validation loss' }).locator('.chart-legend').first().textContent(), { timeout: 15_000 }).toMatch(/torch\/live[\s\S]*tfjs\/builtin|tfjs\/builtin[\s\S]*torch\/live/);
  await screenshot(page, 'command-5-compare');
  expect(errors).toEqual([]);
});
