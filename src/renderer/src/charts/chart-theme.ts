// Canvas strokes cannot use CSS custom properties, so the chart reads the app's theme variables once
// per build of the plot and hands uPlot plain colours.

/** Used when the page defines no --series-N (Tableau 10: distinct, readable on light and dark). */
export const FALLBACK_SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7'];

export interface ChartTheme {
  readonly series: readonly string[];
  readonly fgMuted: string;
  readonly grid: string;
  readonly font: string;
}

export function readChartTheme(element: Element): ChartTheme {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return {
    series: FALLBACK_SERIES_COLOURS.map((colour, i) => read(`--series-${i + 1}`, colour)),
    fgMuted: read('--fg-muted', '#6b7280'),
    grid: read('--border', 'rgba(127, 127, 127, 0.25)'),
    font: read('--font-ui', 'system-ui, sans-serif'),
  };
}

/** The colour of the i-th series: its own, or the palette's. */
export function seriesColour(theme: ChartTheme, own: string | undefined, index: number): string {
  return own ?? theme.series[index % theme.series.length]!;
}
