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
