import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { expman, pythonWithPandas } from '../helpers/data-dir.js';
import { shotsDir, uiSuite } from '../helpers/ui-session.js';

/**
 * A regression run in the browser UI, in real Chromium against `expman ui`: scikit-learn's diabetes data
 * preprocessed, trained and tested by the CLI; the run view shows R²/RMSE, the regression charts and the
 * Results tab's predicted-vs-actual and residual plots. A second run is started and tested from the UI
 * itself (Start run, then Test). Screenshots go to test-output/e2e/.
 */
const ui = uiSuite({
  name: 'regression',
  iris: false,
  timeoutMs: 240_000,
  prepare: (data) => {
    const cli = (args: string[]): void => {
      const r = expman([...args, '--data', data]);
      if (r.code !== 0) throw new Error(`expman ${args.join(' ')}: ${r.stderr}`);
    };
    mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
    const made = spawnSync(pythonWithPandas(), ['-c', 'import sys; from sklearn.datasets import load_diabetes; load_diabetes(as_frame=True).frame.to_csv(sys.argv[1], index=False)', join(data, 'datasets', 'external', 'diabetes.csv')]);
    if (made.status !== 0) throw new Error(`scikit-learn is needed (Debian python3-sklearn): ${String(made.stderr)}`);
    cli(['preprocess', '--dataset', 'diabetes', '--name', 'diabetes']);
    mkdirSync(join(data, 'experiments', 'reg'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'reg', 'config.toml'), '[data]\ndataset = "diabetes"\n');
    mkdirSync(join(data, 'experiments', 'reg-ui'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'reg-ui', 'config.toml'), '[data]\ndataset = "diabetes"\n');
    cli(['train', '--experiment', 'reg', '--model', 'mlp', '--set', 'training.backend=cpu']);
    cli(['test', '--experiment', 'reg', '--model', 'mlp']);
  },
});

/** Pixels of a chart's canvas that are clearly coloured (a series), not grey axes or text. */
function colouredPixels(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).locator('canvas').first().evaluate((node) => {
    // Typed by hand: the tests' tsconfig has no DOM library.
    const canvas = node as unknown as { width: number; height: number; getContext(id: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < px.length; i += 4) {
      const [r, g, b, a] = [px[i]!, px[i + 1]!, px[i + 2]!, px[i + 3]!];
      if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
    return coloured;
  });
}

test('the run view of a regression run: R² stats, R²/RMSE charts, predicted-vs-actual and residual plots', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${ui.url.split('#')[0]}#/runs/reg/mlp/charts`);
  await page.getByTestId('run-charts').waitFor({ timeout: 30_000 });
  await expect.poll(() => page.getByText('Validation R² per epoch').count(), { timeout: 10_000 }).toBe(1);
  await expect(page.getByText('Accuracy per epoch').count()).resolves.toBe(0);
  await expect(page.locator('.stat', { hasText: 'Best val R²' }).count()).resolves.toBe(1);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotsDir, 'regression-charts-1280x900.png') });

  await page.getByRole('link', { name: 'Results' }).click();
  await page.getByTestId('run-results').waitFor({ timeout: 30_000 });
  await expect(page.locator('.stat', { hasText: 'Test R²' }).count()).resolves.toBe(1);
  await expect(page.getByTestId('predicted-vs-actual').locator('canvas').count()).resolves.toBeGreaterThan(0);
  await expect(page.getByTestId('residuals').locator('canvas').count()).resolves.toBeGreaterThan(0);
  await expect(page.locator('table.confusion').count()).resolves.toBe(0);
  // The scatter really is drawn: the plot area has pixels of the series colour, not only the axes.
  const drawn = await colouredPixels(page, 'predicted-vs-actual');
  expect(drawn).toBeGreaterThan(200);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotsDir, 'regression-results-1280x900.png'), fullPage: true });
  expect(errors).toEqual([]);
}, 120_000);

test('a regression run started and tested from the UI: Start run, live R² charts, Test, then the Results plots', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(ui.url);
  await expect.poll(() => page.getByTestId('experiments-list').locator('[data-experiment="reg-ui"]').count(), { timeout: 15_000 }).toBe(1);
  await page.locator('[data-experiment="reg-ui"] > a.item').first().click();
  await page.getByLabel('Run name').fill('from-ui');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/reg-ui\/from-ui$/);
  await expect.poll(() => page.getByTestId('run-charts').count(), { timeout: 30_000 }).toBe(1);
  // The default config early-stops on diabetes within a few dozen epochs.
  // The run view's own badge (the sidebar lists the CLI's finished run too).
  const head = page.locator('.view-head');
  await expect.poll(() => head.locator('.badge[data-status="finished"]').count(), { timeout: 180_000 }).toBe(1);
  await expect.poll(() => page.getByText('Validation R² per epoch').count(), { timeout: 10_000 }).toBe(1);
  await expect(page.locator('.stat', { hasText: 'Best val R²' }).count()).resolves.toBe(1);
  await expect(page.locator('.stat', { hasText: 'Best val acc' }).count()).resolves.toBe(0);
  const run = join(ui.data, 'experiments', 'reg-ui', 'models', 'from-ui');
  const epochs = readFileSync(join(run, 'logs', 'metrics.jsonl'), 'utf8').split('\n').filter((line) => line.includes('"epoch_end"')).length;
  await expect.poll(async () => Number((await page.getByTestId('run-charts').getAttribute('data-epochs')) ?? 0), { timeout: 10_000 }).toBe(epochs);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotsDir, 'regression-ui-run-charts-1280x900.png') });

  await page.getByRole('button', { name: 'Test', exact: true }).click();
  await page.getByTestId('run-results').waitFor({ timeout: 60_000 });
  await expect.poll(() => page.locator('.stat', { hasText: 'Test R²' }).count(), { timeout: 30_000 }).toBe(1);
  await expect.poll(() => page.getByTestId('predicted-vs-actual').locator('canvas').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('residuals').locator('canvas').count()).resolves.toBeGreaterThan(0);
  await expect(page.locator('table.confusion').count()).resolves.toBe(0);
  expect(await colouredPixels(page, 'predicted-vs-actual')).toBeGreaterThan(200);
  expect(await colouredPixels(page, 'residuals')).toBeGreaterThan(200);
  // The UI's Test wrote what the CLI's `test` writes: predictions in the original units, one per test row.
  const results = join(ui.data, 'experiments', 'reg-ui', 'results', 'from-ui');
  expect(existsSync(join(results, 'metrics.csv'))).toBe(true);
  const predictions = readFileSync(join(results, 'predictions.csv'), 'utf8').trim().split('\n');
  expect(predictions[0]).toMatch(/actual.*predicted.*residual/);
  expect(predictions).toHaveLength(1 + 90); // header + the 90 test rows of the 442
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotsDir, 'regression-ui-results-1280x900.png'), fullPage: true });
  expect(errors).toEqual([]);
}, 300_000);
