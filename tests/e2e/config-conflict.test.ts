import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { uiSuite } from '../helpers/ui-session.js';

const SAVED = '[training]\nepochs = 40\n';
const ui = uiSuite({
  name: 'conflict',
  iris: false,
  prepare: (data) => {
    mkdirSync(join(data, 'experiments', 'e1'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'e1', 'config.toml'), SAVED);
  },
});

async function openEditor(): Promise<Page> {
  const page = await ui.browser.newPage();
  await page.goto(ui.url);
  await page.goto(`${ui.url.split('#')[0]}#/experiments/e1`);
  await page.waitForSelector('.cm-content', { state: 'attached' });
  await page.getByRole('button', { name: 'Text' }).click();
  return page;
}

/** Replaces the `epochs = …` line in the editor's text with another value (not saved). */
async function typeEpochs(page: Page, from: number, to: number): Promise<void> {
  await page.getByText(`epochs = ${from}`).click(); // the cursor on that line, which is then replaced
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await page.keyboard.type(`epochs = ${to}`);
  await expect.poll(() => page.getByRole('button', { name: /^Save/ }).isEnabled(), { timeout: 10_000 }).toBe(true);
}

test('two tabs edit config.toml: a change on disk shows at once as a diff over unsaved edits, can be overwritten, and reloads silently where nothing was edited', { timeout: 90_000 }, async () => {
  const file = join(ui.data, 'experiments', 'e1', 'config.toml');
  const tabA = await openEditor();
  const tabB = await openEditor();

  // A edits without saving; B saves first.
  await typeEpochs(tabA, 40, 42);
  await typeEpochs(tabB, 40, 41);
  await tabB.getByRole('button', { name: /^Save/ }).click();
  await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toBe('[training]\nepochs = 41\n');

  // A learns of it from the watcher before it even saves: both versions, mine kept.
  const conflict = tabA.getByRole('alertdialog', { name: 'Changed on disk' });
  await conflict.waitFor({ timeout: 10_000 });
  expect(await conflict.locator('[data-kind=removed]').allTextContents()).toEqual(['−epochs = 41']);
  expect(await conflict.locator('[data-kind=added]').allTextContents()).toEqual(['+epochs = 42']);
  expect(readFileSync(file, 'utf8')).toBe('[training]\nepochs = 41\n');

  await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
  await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toBe('[training]\nepochs = 42\n');
  await expect.poll(() => tabA.getByRole('alertdialog').count()).toBe(0);

  // B had no unsaved edits: it now shows A's file, with no dialog and nothing unsaved.
  await expect.poll(() => tabB.locator('.cm-content').textContent(), { timeout: 10_000 }).toContain('epochs = 42');
  expect(await tabB.getByRole('alertdialog').count()).toBe(0);
  expect(await tabB.getByLabel('Unsaved changes').count()).toBe(0);
});
