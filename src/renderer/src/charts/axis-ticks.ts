/**
 * Axis tick labels. uPlot's default labels round to a fixed number of decimals for the axis, so on a
 * log scale 1e-4 and 1e-6 both read "0"; and it splits a 5-epoch axis at 0.5 steps, although epochs
 * and batches are counts.
 */

/** A tick value as a short label: exponent form for tiny or huge magnitudes ("1e-4", "2.5e-6"), else decimals without float noise. */
export function tickLabel(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const m = String(Number(Number(mantissa).toPrecision(3)));
    return `${m}e${exponent.replace('+', '')}`;
  }
  return String(Number(value.toPrecision(6)));
}

/** Tick spacings for count axes (epochs, batches): whole numbers only, 1-2-5 per decade. */
export const INTEGER_INCREMENTS: readonly number[] = Array.from({ length: 10 }, (_, decade) => [1, 2, 5].map((step) => step * 10 ** decade)).flat();

/**
 * The y range of a log axis, fitted to the data with a margin of 4 % of its span (in log space) each side.
 * uPlot's own log range snaps out to whole decades, so values between 0.2 and 1 were drawn on 0.1–10 and
 * squeezed into the bottom third of the chart.
 */
export function logRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [0.1, 1];
  if (min === max) return [min / 1.5, max * 1.5];
  const pad = (max / min) ** 0.04;
  return [min / pad, max * pad];
}

/**
 * Ticks of a log axis on [min, max]: m × 10^k inside the range, with m from 1–9 over a short span, 1, 2, 5
 * over a few decades, and only powers of ten beyond; uPlot's own start at the range's edge (0.18753).
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const decades = Math.log10(max / min);
  const mantissas = decades <= 1.2 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades <= 4 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
    for (const m of mantissas) {
      // Rounded through toPrecision so 3 × 0.1 is 0.3, not 0.30000000000000004.
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}
