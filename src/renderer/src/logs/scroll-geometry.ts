/**
 * Maps between scroll position and rows. Browsers cap an element's height (Chromium ~33.5 M px), so past
 * MAX_CONTENT_PX the scrollbar is scaled: the scroll range still covers every row, a pixel just moves
 * more than one row's height. Below the cap the mapping is exact (1 row = rowHeight px).
 */
export const MAX_CONTENT_PX = 15_000_000;

export interface Geometry {
  totalRows: number;
  rowHeight: number;
  viewportHeight: number;
}

export function contentHeight({ totalRows, rowHeight }: Geometry): number {
  return Math.min(totalRows * rowHeight, MAX_CONTENT_PX);
}

export function maxScrollTop(g: Geometry): number {
  return Math.max(0, contentHeight(g) - g.viewportHeight);
}

/** The last possible first visible row (fractional). */
function maxFirstRow(g: Geometry): number {
  return Math.max(0, g.totalRows - g.viewportHeight / g.rowHeight);
}

/** The (fractional) row at the top of the viewport for a scroll position. */
export function firstRowAt(scrollTop: number, g: Geometry): number {
  const range = maxScrollTop(g);
  if (range <= 0) return 0;
  return (Math.min(Math.max(scrollTop, 0), range) / range) * maxFirstRow(g);
}

/** The scroll position that puts `row` at the top of the viewport (clamped to the scroll range). */
export function scrollTopFor(row: number, g: Geometry): number {
  const rows = maxFirstRow(g);
  if (rows <= 0) return 0;
  return (Math.min(Math.max(row, 0), rows) / rows) * maxScrollTop(g);
}

/** Whether the viewport shows the last row (a pixel of slack for fractional scroll positions). */
export function isAtBottom(scrollTop: number, g: Geometry): boolean {
  return scrollTop >= maxScrollTop(g) - 2;
}
