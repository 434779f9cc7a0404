import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeRunFolders } from '../../bench/run-folders.mjs';
import { shotsDir, uiSuite } from '../helpers/ui-session.js';

/**
 * The runs table in real Chromium against `expman ui`, on 300 generated run folders of a sweep (5 learning
 * rates × 4 hidden layouts × 3 dropouts, 3 seeds each; bench/run-folders.mjs): config and metric columns,
 * sort, a range filter, group by with mean ± std, CSV download, scrolling. Screenshot in test-output/e2e/.
 */
const ui = uiSuite({
  name: 'runs-table',
  iris: false,
  timeoutMs: 120_000,
  prepare: async (data) => {
    await writeRunFolders(data, { experiment: 'sweep', count: 300 });
    // 6 runs: 2 learning rates × 3 seeds, for Compare (without [params], which only command runs' config accepts)
    await writeRunFolders(data, { experiment: 'seeds', count: 6, params: false });
  },
});

test('300 runs: metric column sorted, range filter, grouped by learning rate with mean ± std, CSV, scroll to the last run', async () => {
  const models = join(ui.data, 'experiments', 'sweep', 'models');
  // The best run by validation loss, from the files: status.json's best is the lowest val_loss of the run.
  const byLoss = readdirSync(models)
    .map((model) => ({ model, loss: (JSON.parse(readFileSync(join(models, model, 'status.json'), 'utf8')) as { best: { val_loss: number } }).best.val_loss }))
    .sort((a, b) => a.loss - b.loss);
  const best = byLoss[0]!;
  const worst = byLoss.at(-1)!;

  const page = await ui.browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${ui.url.split('#')[0]}#/experiments/sweep`);
  const table = page.getByTestId('experiment-runs');
  await table.locator('[role="cell"].name a').first().waitFor({ timeout: 30_000 });
  // config columns (what the sweep varies) arrive from runs:table
  await table.getByRole('columnheader', { name: 'training.learning_rate' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('runs-table-count').textContent()).resolves.toBe('300 of 300 runs');
  expect(await table.locator('.runs-grid-body [role="row"]').count()).toBeLessThan(100);

  await page.getByRole('button', { name: /^Columns/ }).click();
  await page.getByRole('searchbox', { name: 'Find a column' }).fill('val_loss');
  await page.getByRole('checkbox', { name: 'val_loss (best)' }).check();
  await page.getByRole('checkbox', { name: 'val_accuracy (smoothed)' }).check().catch(async () => {
    await page.getByRole('searchbox', { name: 'Find a column' }).fill('val_accuracy');
    await page.getByRole('checkbox', { name: 'val_accuracy (smoothed)' }).check();
  });
  await page.getByRole('button', { name: /^Columns/ }).click();
  const lossHeader = table.getByRole('columnheader', { name: 'val_loss (best)' });
  await lossHeader.getByRole('button').click(); // numeric: descending first
  await lossHeader.getByRole('button').click(); // then ascending
  await expect(lossHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
  await expect(table.locator('[role="cell"].name').first().textContent()).resolves.toBe(best.model);

  await page.getByRole('combobox', { name: 'Filter column' }).selectOption({ label: 'training.learning_rate' });
  await page.getByRole('textbox', { name: 'Maximum' }).fill('0.001');
  await page.getByRole('button', { name: 'Add filter' }).click();
  await expect(page.getByTestId('runs-table-count').textContent()).resolves.toBe('120 of 300 runs');

  await page.getByRole('combobox', { name: 'Group by' }).selectOption({ label: 'training.learning_rate' });
  await page.getByRole('combobox', { name: 'Group by' }).selectOption({ label: 'model.hidden_units' });
  const groups = table.getByTestId('group-row');
  await expect(groups.count()).resolves.toBe(8); // 2 learning rates × 4 layouts, 15 runs each (3 dropouts × 5 repeats of 3 seeds)
  await expect(groups.first().locator('[role="cell"]').first().textContent()).resolves.toBe('15 runs');
  const lossColumn = (await table.getByRole('columnheader').allTextContents()).indexOf('val_loss (best)');
  await expect(groups.first().locator('[role="cell"]').nth(lossColumn).textContent()).resolves.toMatch(/^\d\.\d{4} ± \d\.\d{4}$/);
  // clicking the headers on the right scrolled the table sideways: back to its first column for the picture
  await page.getByTestId('runs-table-scroll').evaluate((box) => (box.scrollLeft = 0));
  await page.getByTestId('runs-table-scroll').scrollIntoViewIfNeeded();
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shotsDir, 'runs-table-grouped-1440x900.png') });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('sweep-runs-grouped.csv');
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toContain('training.learning_rate,model.hidden_units,runs,');
  expect(csv).toHaveLength(9);

  // Ungrouped, unfiltered: scroll to the end; the run with the highest val_loss is drawn last.
  await page.getByRole('button', { name: /^Ungroup training.learning_rate/ }).click();
  await page.getByRole('button', { name: /^Ungroup model.hidden_units/ }).click();
  await page.getByRole('button', { name: /^Remove filter/ }).click();
  await page.getByTestId('runs-table-scroll').evaluate((box) => (box.scrollTop = box.scrollHeight));
  await expect.poll(() => table.locator('.runs-grid-body [role="row"]').last().locator('[role="cell"].name').textContent(), { timeout: 5000 }).toBe(worst.model);
  const rows = await table.locator('.runs-grid-body [role="row"]').count();
  expect(rows).toBeLessThan(100);
  // Where the rows are drawn (the row block's transform and pad): the row at the bottom of the box is the
  // last run, the one under the sticky header the run its row index puts there.
  const placed = await page.getByTestId('runs-table-scroll').evaluate((box) => {
    box.scrollIntoView({ block: 'end' });
    const r = box.getBoundingClientRect();
    const header = box.querySelector('[role="row"]')!.getBoundingClientRect();
    const nameAt = (y: number): string | undefined => box.ownerDocument.elementFromPoint(r.left + box.clientLeft + 40, y)?.closest('[role="row"]')?.querySelector('.name')?.textContent ?? undefined;
    const rowIndexAt = (y: number): number => Number(box.ownerDocument.elementFromPoint(r.left + box.clientLeft + 40, y)?.closest('[role="row"]')?.getAttribute('aria-rowindex'));
    const top = header.bottom + 5;
    return { last: nameAt(r.top + box.clientTop + box.clientHeight - 15), headerTop: header.top - r.top, topIndex: rowIndexAt(top), expectedTopIndex: Math.floor((box.scrollTop + top - header.bottom) / 30) + 2 };
  });
  expect(placed.last).toBe(worst.model);
  expect(placed.headerTop).toBeLessThan(3); // sticky: at the top of the scrolled box
  expect(placed.topIndex).toBe(placed.expectedTopIndex);
  // the box alone, scrolled half way: header over the rows, columns lined up
  await page.getByTestId('runs-table-scroll').evaluate((box) => (box.scrollTop = box.scrollHeight / 2 + 7));
  await page.waitForTimeout(200);
  await page.getByTestId('runs-table-scroll').screenshot({ path: join(shotsDir, 'runs-table-box-scrolled.png') });
  await page.screenshot({ path: join(shotsDir, 'runs-table-scrolled-1440x900.png') });
  expect(errors).toEqual([]);
  await page.close();
}, 120_000);

test('Compare groups runs by a parameter: a mean line per learning rate in a ± std band', async () => {
  const page = await ui.browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const runs = Array.from({ length: 6 }, (_, i) => `seeds/run-0000${i}`).join(',');
  await page.goto(`${ui.url.split('#')[0]}#/compare?runs=${runs}`);
  const select = page.getByRole('combobox', { name: 'Group runs by' });
  await expect.poll(() => select.locator('option').allTextContents(), { timeout: 30_000 }).toContain('training.learning_rate');
  await select.selectOption('training.learning_rate');
  const legend = page.locator('figure.chart').first().locator('.chart-legend button');
  await expect.poll(() => legend.allTextContents(), { timeout: 10_000 }).toEqual([expect.stringMatching(/^training\.learning_rate=0\.0003 \(mean of 3\)/), expect.stringMatching(/^training\.learning_rate=0\.001 \(mean of 3\)/)]);
  await page.waitForTimeout(300);
  await page.locator('.chart-grid').screenshot({ path: join(shotsDir, 'compare-grouped-bands-1440x900.png') });
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);
