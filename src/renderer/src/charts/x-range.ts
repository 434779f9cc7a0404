// Zoom and pan arithmetic on the x axis, kept apart from the DOM so it can be tested on its own.

export type XRange = readonly [number, number];

/**
 * Keeps a view inside the data: a view as wide as the data or wider means "show everything" (null);
 * otherwise it is shifted back inside [extent] keeping its width.
 */
export function clampRange(range: XRange, extent: XRange | null): XRange | null {
  if (!extent) return null;
  const width = range[1] - range[0];
  if (!(width > 0) || width >= extent[1] - extent[0]) return null;
  if (range[0] < extent[0]) return [extent[0], extent[0] + width];
  if (range[1] > extent[1]) return [extent[1] - width, extent[1]];
  return range;
}

/** Zooms `view` by `factor` (< 1 zooms in) keeping the value `at` under the pointer. */
export function zoomRange(view: XRange, at: number, factor: number): XRange {
  return [at - (at - view[0]) * factor, at + (view[1] - at) * factor];
}

/** Moves `view` by `delta` x units. */
export function panRange(view: XRange, delta: number): XRange {
  return [view[0] + delta, view[1] + delta];
}
