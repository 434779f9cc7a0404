import { expect, test } from 'vitest';
import { BlockCache, BLOCK_ROWS } from '../../../src/renderer/src/logs/block-cache';
import { contentHeight, firstRowAt, isAtBottom, MAX_CONTENT_PX, maxScrollTop, scrollTopFor } from '../../../src/renderer/src/logs/scroll-geometry';

test('below the height cap one row is one row height of scrolling', () => {
  const g = { totalRows: 1000, rowHeight: 18, viewportHeight: 360 };
  expect(contentHeight(g)).toBe(18_000);
  expect(firstRowAt(18 * 250, g)).toBe(250);
  expect(scrollTopFor(250, g)).toBe(18 * 250);
  expect(firstRowAt(maxScrollTop(g), g)).toBe(980);
  expect(isAtBottom(maxScrollTop(g), g)).toBe(true);
  expect(isAtBottom(maxScrollTop(g) - 18, g)).toBe(false);
});

test('past the cap the scroll range is scaled and still reaches every row', () => {
  const g = { totalRows: 10_000_000, rowHeight: 18, viewportHeight: 360 };
  expect(contentHeight(g)).toBe(MAX_CONTENT_PX);
  expect(firstRowAt(0, g)).toBe(0);
  expect(firstRowAt(maxScrollTop(g), g)).toBe(10_000_000 - 20);
  const row = 7_654_321;
  expect(Math.round(firstRowAt(scrollTopFor(row, g), g))).toBe(row);
});

test('an empty or short log does not scroll', () => {
  expect(firstRowAt(100, { totalRows: 5, rowHeight: 18, viewportHeight: 360 })).toBe(0);
  expect(scrollTopFor(3, { totalRows: 5, rowHeight: 18, viewportHeight: 360 })).toBe(0);
});

test('the block cache evicts the least recently used block and drops unfinal ones on change', () => {
  const cache = new BlockCache(2);
  const block = (n: number, final = true) => ({ lines: [{ n: n * BLOCK_ROWS, text: `block ${n}` }], final });
  cache.set(0, block(0));
  cache.set(1, block(1, false));
  cache.get(0); // 0 is now the most recent
  cache.set(2, block(2));
  expect([cache.has(0), cache.has(1), cache.has(2)]).toEqual([true, false, true]);
  cache.set(3, block(3, false));
  expect(cache.peek(3 * BLOCK_ROWS)?.text).toBe('block 3');
  cache.dropUnfinal();
  expect([cache.has(2), cache.has(3), cache.size]).toEqual([true, false, 1]);
});
