import { useCallback, useLayoutEffect, useRef, useState, type JSX } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';
import { ChartDataModel, type ChartSeries } from './chart-data';
import { ChartLegend, type LegendItem } from './ChartLegend';
import { readChartTheme, seriesColour, type ChartTheme } from './chart-theme';
import { INTEGER_INCREMENTS, logRange, logTicks, tickLabel } from './axis-ticks';
import { formatMetricValue } from './format-value';
import { checkSmoothingWeight } from './smoothing';
import { clampRange, panRange, zoomRange, type XRange } from './x-range';

export interface MetricChartProps {
  readonly series: readonly ChartSeries[];
  /** the x axis: "epoch", "batch", … */
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly title?: string;
  /** debiased EMA weight 0 … 0.999; above 0 each series is drawn faint (raw) and solid (smoothed) */
  readonly smoothing?: number;
  readonly logScale?: boolean;
  /** ids of the hidden series; with onToggleSeries the caller owns show/hide, else the legend does */
  readonly hidden?: ReadonlySet<string>;
  readonly onToggleSeries?: (id: string) => void;
  /** plot height in CSS pixels; the width follows the container */
  readonly height?: number;
  readonly className?: string;
  /**
   * Canvas colours are read from the CSS variables when the plot is built; pass the app's theme name
   * (or anything that changes with it) so a theme switch rebuilds the plot in the new colours.
   */
  readonly themeKey?: string;
  /**
   * Whether the legend shows each series' last value when the pointer is elsewhere: right for series
   * over epochs or batches, meaningless for a scatter (predicted vs actual), which shows values only on hover.
   */
  readonly lastValues?: boolean;
}

const NO_SERIES_HIDDEN: ReadonlySet<string> = new Set();
const MIN_WIDTH = 120;
/** width of the y axis (tick labels and name), px */
const Y_AXIS_SIZE = 48;

/**
 * A metric chart for many points and live runs: uPlot on a canvas, fed min/max-bucketed lines (one
 * bucket per pixel column, the same grid for every series) recomputed at full resolution for each view.
 * Drag to zoom x, double-click to reset, shift-drag or shift-wheel to pan, ctrl-wheel to zoom; growing
 * data redraws at most once per animation frame.
 */
export function MetricChart(props: MetricChartProps): JSX.Element {
  const { series, xLabel = 'step', yLabel, title, smoothing = 0, logScale = false, height = 240, className, themeKey, lastValues = true } = props;
  checkSmoothingWeight(smoothing);
  const [ownHidden, setOwnHidden] = useState<ReadonlySet<string>>(NO_SERIES_HIDDEN);
  const hidden = props.hidden ?? ownHidden;
  const onToggleProp = props.onToggleSeries;
  const toggle = useCallback(
    (id: string) => {
      if (onToggleProp) onToggleProp(id);
      else setOwnHidden((current) => toggled(current, id));
    },
    [onToggleProp],
  );

  const hostRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const [model] = useState(() => new ChartDataModel());
  const [theme, setTheme] = useState<ChartTheme | null>(null);
  const latest = useRef({ series, smoothing, logScale });
  const viewRef = useRef<XRange | null>(null);
  const extentRef = useRef<XRange | null>(null);
  const frameRef = useRef(0);
  const justBuiltRef = useRef(false);
  const [zoomed, setZoomed] = useState(false);
  const [hoverX, setHoverX] = useState<number | null>(null);

  const draw = useCallback(() => {
    frameRef.current = 0;
    const plot = plotRef.current;
    if (!plot) return;
    const { series: current, smoothing: weight, logScale: log } = latest.current;
    const prepared = model.prepare(current, { buckets: bucketsOf(plot), xRange: viewRef.current, smoothing: weight, logScale: log });
    extentRef.current = prepared.extent;
    plot.setData(prepared.data);
  }, [model]);

  const schedule = useCallback(() => {
    if (!frameRef.current) frameRef.current = requestAnimationFrame(draw);
  }, [draw]);

  const setView = useCallback(
    (range: XRange | null) => {
      const view = range && clampRange(range, extentRef.current);
      viewRef.current = view;
      setZoomed(view !== null);
      schedule();
    },
    [schedule],
  );

  // The newest props, for the draws scheduled outside React's render.
  useLayoutEffect(() => {
    latest.current = { series, smoothing, logScale };
  });

  // The plot's layout (which lines, colours, scale kind) changes rarely: rebuild uPlot then.
  const smoothed = smoothing > 0;
  const layoutKey = series.map((s) => `${s.id}\u0000${s.color ?? ''}\u0000${s.points ? 'points' : s.band ? `band:${s.band.of}:${s.band.side}` : 'line'}`).join('\u0001');
  useLayoutEffect(() => {
    const host = hostRef.current!;
    const chartTheme = readChartTheme(host);
    setTheme(chartTheme);
    const width = Math.max(MIN_WIDTH, Math.floor(host.clientWidth));
    const current = latest.current;
    // about the plotting area's width, so the first redraw keeps this bucket grid
    const buckets = Math.max(1, width - Y_AXIS_SIZE);
    const prepared = model.prepare(current.series, { buckets, xRange: viewRef.current, smoothing: current.smoothing, logScale });
    extentRef.current = prepared.extent;
    const plot = new uPlot(
      plotOptions({
        series: current.series,
        theme: chartTheme,
        width,
        height,
        xLabel,
        yLabel,
        smoothed,
        logScale,
        view: () => viewRef.current,
        onSelect: (range) => setView(range),
        onReset: () => setView(null),
        onCursor: (x) => setHoverX(x),
      }),
      prepared.data,
      host,
    );
    plotRef.current = plot;
    justBuiltRef.current = true;
    const detachNavigation = attachPanAndWheel(plot, () => viewRef.current ?? extentRef.current, setView);
    const resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      const w = Math.max(MIN_WIDTH, Math.floor(host.clientWidth));
      if (w !== plot.width) {
        plot.setSize({ width: w, height });
        schedule();
      }
    });
    resize?.observe(host);
    return () => {
      resize?.disconnect();
      detachNavigation();
      if (frameRef.current) cancelAnimationFrame(frameRef.current);
      frameRef.current = 0;
      plot.destroy();
      plotRef.current = null;
    };
    // series' data and smoothing weight reach the plot through `latest` and the redraw below
  }, [layoutKey, smoothed, logScale, height, xLabel, yLabel, themeKey, model, schedule, setView]);

  // New data or smoothing: redraw on the next animation frame (coalescing bursts of appends).
  useLayoutEffect(() => {
    if (justBuiltRef.current) justBuiltRef.current = false;
    else schedule();
  }, [series, smoothing, logScale, schedule]);

  // Show/hide without rebuilding: uPlot keeps the zoom and leaves hidden lines out of the y range.
  useLayoutEffect(() => {
    const plot = plotRef.current;
    if (!plot) return;
    const perSeries = smoothed ? 2 : 1;
    series.forEach((s, i) => {
      // a band goes with its series
      const show = !hidden.has(s.band?.of ?? s.id);
      for (let k = 1; k <= perSeries; k++) {
        const index = 1 + i * perSeries + (k - 1);
        if (plot.series[index]?.show !== show) plot.setSeries(index, { show });
      }
    });
  }, [hidden, series, smoothed, layoutKey]);

  const items: LegendItem[] = series.flatMap((s, i) =>
    s.band
      ? []
      : [
          {
            id: s.id,
            label: s.label,
            colour: theme ? seriesColour(theme, s.color, i) : (s.color ?? 'currentColor'),
            hidden: hidden.has(s.id),
            value: hoverX === null && !lastValues ? null : model.valueAt(s, hoverX ?? Infinity, smoothing),
          },
        ],
  );
  const hoveredX = hoverX === null ? null : items.find((item) => !item.hidden && item.value)?.value?.x;

  return (
    <figure className={['chart', className].filter(Boolean).join(' ')}>
      {(title || zoomed) && (
        <figcaption className="chart-header">
          <span className="chart-title">{title}</span>
          {zoomed && (
            <button type="button" className="chart-reset" onClick={() => setView(null)} title="Show all (or double-click the chart)">
              Reset zoom
            </button>
          )}
        </figcaption>
      )}
      <div className="chart-plot" ref={hostRef} style={{ height }} />
      <ChartLegend items={items} xCaption={hoveredX === undefined || hoveredX === null ? (lastValues ? null : '') : `${xLabel} ${formatMetricValue(hoveredX)}`} onToggle={toggle} />
    </figure>
  );
}

function toggled(set: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const next = new Set(set);
  if (!next.delete(id)) next.add(id);
  return next;
}

/** One bucket per CSS pixel column of the plotting area. */
function bucketsOf(plot: uPlot): number {
  const cssWidth = plot.bbox.width / uPlot.pxRatio;
  return Math.max(1, Math.round(cssWidth > 0 ? cssWidth : plot.width));
}

interface PlotSetup {
  readonly series: readonly ChartSeries[];
  readonly theme: ChartTheme;
  readonly width: number;
  readonly height: number;
  readonly xLabel: string;
  readonly yLabel: string | undefined;
  readonly smoothed: boolean;
  readonly logScale: boolean;
  readonly view: () => XRange | null;
  readonly onSelect: (range: XRange) => void;
  readonly onReset: () => void;
  readonly onCursor: (x: number | null) => void;
}

function plotOptions(setup: PlotSetup): uPlot.Options {
  const { theme } = setup;
  const axis = (label: string | undefined): uPlot.Axis => ({
    label,
    stroke: theme.fgMuted,
    font: `11px ${theme.font}`,
    labelFont: `11px ${theme.font}`,
    // compact: tick labels and the axis name take ~50 px instead of uPlot's default ~80
    labelSize: label ? 16 : 0,
    labelGap: 0,
    gap: 4,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    // uPlot passes null for the log ticks its filter leaves unlabelled
    values: (_plot: uPlot, splits: (number | null)[]) => splits.map((v) => (v === null ? '' : tickLabel(v))),
  });
  const lines: uPlot.Series[] = [{ label: setup.xLabel }];
  const perSeries = setup.smoothed ? 2 : 1;
  // A band's colour is its series': the colour that series gets at its own position.
  const colourOf = (id: string): string => {
    const index = setup.series.findIndex((s) => s.id === id);
    return seriesColour(theme, setup.series[index]?.color, Math.max(0, index));
  };
  const bands: uPlot.Band[] = [];
  setup.series.forEach((s, i) => {
    if (s.band) {
      // an edge is an invisible line; the fill between the two edges is the band (the smoothed slot when smoothing)
      const edge: uPlot.Series = { label: s.label, stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } };
      lines.push(edge);
      if (setup.smoothed) lines.push({ ...edge, label: `${s.label} (smoothed)` });
      if (s.band.side === 'upper') {
        const lower = setup.series.findIndex((o) => o.band?.of === s.band!.of && o.band.side === 'lower');
        if (lower >= 0) {
          const slot = (k: number): number => 1 + k * perSeries + (perSeries - 1);
          bands.push({ series: [slot(i), slot(lower)], fill: `color-mix(in srgb, ${colourOf(s.band.of)} 22%, transparent)` });
        }
      }
      return;
    }
    const colour = seriesColour(theme, s.color, i);
    // TensorBoard's look: the raw values faint behind the smoothed line
    if (s.points) {
      // a scatter: no path between points (x is sorted only so that the chart's downsampling applies)
      const scatter: uPlot.Series = { label: s.label, stroke: colour, fill: colour, width: 1, paths: () => null, points: { show: true, size: 5, stroke: colour, fill: colour } };
      lines.push(scatter);
      // the data has a smoothed line per series when smoothing is on: keep its slot, drawn the same
      if (setup.smoothed) lines.push({ ...scatter, label: `${s.label} (smoothed)` });
      return;
    }
    lines.push({ label: s.label, stroke: colour, width: 1, alpha: setup.smoothed ? 0.28 : 1, spanGaps: true, points: { show: false } });
    if (setup.smoothed) lines.push({ label: `${s.label} (smoothed)`, stroke: colour, width: 1, spanGaps: true, points: { show: false } });
  });
  let pendingCursor = 0;
  let cursorX: number | null = null;
  return {
    width: setup.width,
    height: setup.height,
    legend: { show: false },
    series: lines,
    ...(bands.length ? { bands } : {}),
    scales: {
      x: {
        time: false,
        // the zoomed view wins over the data's extent; without one uPlot fits the data
        range: (_plot, min, max): uPlot.Range.MinMax => {
          const view = setup.view();
          if (view) return [view[0], view[1]];
          return min === max ? [min - 1, max + 1] : [min, max];
        },
      },
      y: setup.logScale ? { distr: 3, log: 10, range: (_plot, min, max): uPlot.Range.MinMax => logRange(min, max) } : {},
    },
    // x is a count (epoch, batch): whole-number ticks only
    axes: [{ ...axis(setup.xLabel), size: 28, incrs: [...INTEGER_INCREMENTS] }, { ...axis(setup.yLabel), size: Y_AXIS_SIZE, ...(setup.logScale ? { splits: (plot: uPlot) => logTicks(plot.scales['y']!.min!, plot.scales['y']!.max!) } : {}) }],
    cursor: {
      drag: { x: true, y: false, setScale: false },
      points: { size: 6 },
      // uPlot's own double-click would re-fit to the drawn (zoomed) data; reset to everything instead
      bind: {
        dblclick: () => () => {
          setup.onReset();
          return null;
        },
      },
    },
    hooks: {
      setSelect: [
        (plot) => {
          const { left, width } = plot.select;
          if (width > 2) setup.onSelect([plot.posToVal(left, 'x'), plot.posToVal(left + width, 'x')]);
          plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        },
      ],
      setCursor: [
        (plot) => {
          const left = plot.cursor.left;
          cursorX = left === undefined || left < 0 ? null : plot.posToVal(left, 'x');
          // hover values update at most once per frame
          pendingCursor ||= requestAnimationFrame(() => {
            pendingCursor = 0;
            setup.onCursor(cursorX);
          });
        },
      ],
    },
  };
}

/** Shift-drag and shift-wheel pan, ctrl/⌘-wheel zooms around the pointer. Returns the detach function. */
function attachPanAndWheel(plot: uPlot, currentView: () => XRange | null, setView: (range: XRange | null) => void): () => void {
  const over = plot.over;
  const unitsPerPixel = (view: XRange): number => (view[1] - view[0]) / Math.max(1, over.clientWidth);
  const onMouseDown = (event: MouseEvent): void => {
    const start = currentView();
    if (!event.shiftKey || event.button !== 0 || !start) return;
    // captured before uPlot's own handler, so a shift-drag pans instead of selecting
    event.stopPropagation();
    event.preventDefault();
    const startX = event.clientX;
    const perPixel = unitsPerPixel(start);
    const onMove = (move: MouseEvent): void => setView(panRange(start, (startX - move.clientX) * perPixel));
    const onUp = (): void => {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
    };
    window.addEventListener('mousemove', onMove);
    window.addEventListener('mouseup', onUp);
  };
  const onWheel = (event: WheelEvent): void => {
    const view = currentView();
    if (!view) return;
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      const at = plot.posToVal(event.offsetX, 'x');
      setView(zoomRange(view, at, Math.exp(event.deltaY * 0.002)));
    } else if (event.shiftKey || Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      event.preventDefault();
      const delta = event.shiftKey && event.deltaX === 0 ? event.deltaY : event.deltaX;
      setView(panRange(view, delta * unitsPerPixel(view)));
    }
  };
  plot.root.addEventListener('mousedown', onMouseDown, true);
  over.addEventListener('wheel', onWheel, { passive: false });
  return () => {
    plot.root.removeEventListener('mousedown', onMouseDown, true);
    over.removeEventListener('wheel', onWheel);
  };
}
