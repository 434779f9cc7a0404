// The page bench/ui-charts.mjs drives in Chromium: `window.chartBench` times first draws and live
// updates of MetricChart against bare uPlot fed the raw points; `?story=light|dark` shows the chart and
// compare components with made-up runs for screenshots.
import { useEffect, useState, type JSX } from 'react';
import { flushSync } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSeries } from '../../src/renderer/src/charts/chart-data';
import { ChartControls } from '../../src/renderer/src/charts/ChartControls';
import { MetricChart } from '../../src/renderer/src/charts/MetricChart';
import { ConfigDiffTable } from '../../src/renderer/src/compare/ConfigDiffTable';
import { FinalMetricsTable } from '../../src/renderer/src/compare/FinalMetricsTable';
import './theme.css';

type Mode = 'metric-chart' | 'uplot-raw' | 'idle';

interface FirstDrawResult {
  /** until the chart's code returned (canvas drawn) */
  readonly syncMs: number;
  /** until the next frame after it was presented */
  readonly paintedMs: number;
}

interface LiveResult {
  readonly fps: number;
  readonly frames: number;
  readonly p95FrameMs: number;
  readonly maxFrameMs: number;
  readonly pointsPerSeries: number;
}

declare global {
  interface Window {
    chartBench: {
      firstDraw(options: { points: number; mode: Mode; smoothing: number }): Promise<FirstDrawResult>;
      live(options: { series: number; points: number; batch: number; seconds: number; mode: Mode; smoothing: number }): Promise<LiveResult>;
    };
  }
}

/** A loss-like curve: exponential decay, noise, a few spikes. Seeded, so every run draws the same data. */
function lossCurve(n: number, seed: number, capacity = n): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(capacity);
  const y = new Float64Array(capacity);
  let s = seed;
  const random = (): number => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
  for (let i = 0; i < capacity; i++) {
    x[i] = i;
    const t = i / n;
    y[i] = 0.05 + (1.5 + seed * 0.1) * Math.exp(-4 * t) + 0.08 * (random() - 0.5) + (random() < 0.0005 ? random() : 0);
  }
  return { x, y };
}

const afterPaint = (): Promise<number> =>
  new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));

function host(): HTMLDivElement {
  const element = document.createElement('div');
  element.className = 'bench-host';
  document.body.append(element);
  return element;
}

function rawPlot(element: HTMLElement, data: uPlot.AlignedData, lines: number): uPlot {
  const series: uPlot.Series[] = [{}];
  for (let i = 0; i < lines; i++) series.push({ stroke: `hsl(${i * 90} 70% 45%)`, width: 1.5, points: { show: false } });
  return new uPlot({ width: 1000, height: 240, legend: { show: false }, scales: { x: { time: false } }, series }, data, element);
}

window.chartBench = {
  async firstDraw({ points, mode, smoothing }) {
    const { x, y } = lossCurve(points, 1);
    const element = host();
    await afterPaint();
    const started = performance.now();
    let root: Root | null = null;
    let plot: uPlot | null = null;
    if (mode === 'metric-chart') {
      root = createRoot(element);
      flushSync(() => root!.render(<MetricChart series={[{ id: 'loss', label: 'loss', x, y }]} xLabel="batch" smoothing={smoothing} />));
    } else {
      plot = rawPlot(element, [x, y], 1);
    }
    const syncMs = performance.now() - started;
    const paintedMs = (await afterPaint()) - started;
    root?.unmount();
    plot?.destroy();
    element.remove();
    return { syncMs, paintedMs };
  },

  async live({ series: count, points, batch, seconds, mode, smoothing }) {
    const capacity = points + batch * Math.ceil(seconds * 240);
    const curves = Array.from({ length: count }, (_, i) => lossCurve(points, i + 1, capacity));
    let length = points;
    const element = host();
    let root: Root | null = null;
    let plot: uPlot | null = null;
    const seriesAt = (n: number): ChartSeries[] => curves.map((c, i) => ({ id: `run-${i}`, label: `run ${i + 1}`, x: c.x, y: c.y, length: n }));
    const render = (n: number): void => {
      if (mode === 'idle') return;
      if (root) flushSync(() => root!.render(<MetricChart series={seriesAt(n)} xLabel="batch" smoothing={smoothing} />));
      else plot!.setData([curves[0]!.x.subarray(0, n), ...curves.map((c) => c.y.subarray(0, n))]);
    };
    if (mode === 'metric-chart') root = createRoot(element);
    else if (mode === 'uplot-raw') plot = rawPlot(element, [curves[0]!.x.subarray(0, length), ...curves.map((c) => c.y.subarray(0, length))], count);
    render(length);
    await afterPaint();
    // every frame a batch arrives for each series (a run streams ~20 batches/s; this is 3× harder)
    const stamps: number[] = [];
    await new Promise<void>((resolve) => {
      const frame = (now: number): void => {
        stamps.push(now);
        if (now - stamps[0]! >= seconds * 1000 || length + batch > capacity) return resolve();
        length += batch;
        render(length);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    root?.unmount();
    plot?.destroy();
    element.remove();
    const intervals = stamps.slice(1).map((t, i) => t - stamps[i]!).sort((a, b) => a - b);
    const span = stamps[stamps.length - 1]! - stamps[0]!;
    return {
      fps: (intervals.length / span) * 1000,
      frames: intervals.length,
      p95FrameMs: intervals[Math.floor(intervals.length * 0.95)]!,
      maxFrameMs: intervals[intervals.length - 1]!,
      pointsPerSeries: length,
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// story page: the components as the Run and Compare views will show them

function epochs(n: number, seed: number, base: number, decay: number, noise: number, rising = false): ChartSeries['y'] {
  let s = seed;
  const random = (): number => ((s = (s * 16807) % 2147483647) - 1) / 2147483646;
  return Array.from({ length: n }, (_, i) => {
    const v = base * Math.exp(-decay * i) + noise * (random() - 0.5);
    return rising ? Math.min(1, 1 - v) : v + 0.04;
  });
}

function Story(): JSX.Element {
  const [smoothing, setSmoothing] = useState(0.6);
  const [log, setLog] = useState(false);
  const n = 120;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const batches = lossCurve(200_000, 3);
  const runs = [
    { id: 'run-a', label: 'run-0412-lr0.01', lr: 0.01, layers: [16, 16], seed: 1 },
    { id: 'run-b', label: 'run-0415-lr0.003', lr: 0.003, layers: [16, 16], seed: 2 },
    { id: 'run-c', label: 'run-0419-wide', lr: 0.01, layers: [64, 32], seed: 3 },
  ];
  useEffect(() => document.body.setAttribute('data-ready', 'true'), []);
  return (
    <div className="story">
      <aside className="story-sidebar">sidebar (260px)</aside>
      <main className="story-main">
        <h2>Run view</h2>
        <ChartControls smoothing={smoothing} onSmoothingChange={setSmoothing} logScale={log} onLogScaleChange={setLog} />
        <div className="story-grid">
          <div className="story-card">
            <MetricChart
              title="Loss per epoch"
              xLabel="epoch"
              smoothing={smoothing}
              logScale={log}
              series={[
                { id: 'loss', label: 'loss', x, y: epochs(n, 5, 1.1, 0.04, 0.12) },
                { id: 'val_loss', label: 'val_loss', x, y: epochs(n, 6, 1.2, 0.035, 0.16) },
              ]}
            />
          </div>
          <div className="story-card">
            <MetricChart
              title="Accuracy per epoch"
              xLabel="epoch"
              smoothing={smoothing}
              series={[
                { id: 'accuracy', label: 'accuracy', x, y: epochs(n, 7, 0.7, 0.05, 0.08, true) },
                { id: 'val_accuracy', label: 'val_accuracy', x, y: epochs(n, 8, 0.75, 0.045, 0.1, true) },
              ]}
            />
          </div>
        </div>
        <div className="story-card">
          <MetricChart title="Loss per batch (200,000 points)" xLabel="batch" smoothing={smoothing} logScale={log} series={[{ id: 'batch_loss', label: 'loss', ...batches }]} />
        </div>
        <h2>Compare</h2>
        <div className="story-card">
          <MetricChart
            title="val_loss"
            xLabel="epoch"
            smoothing={smoothing}
            logScale={log}
            series={runs.map((run, i) => ({ id: run.id, label: run.label, x: x.slice(0, n - i * 25), y: epochs(n - i * 25, run.seed + 10, 1.2, 0.02 + i * 0.012, 0.15) }))}
          />
        </div>
        <div className="story-grid">
          <div className="story-card">
            <ConfigDiffTable
              runs={runs.map((run) => ({
                id: run.id,
                label: run.label,
                config: {
                  dataset: { name: 'prepared-dataset', label: 'species' },
                  model: { layers: run.layers, activation: 'relu' },
                  training: { epochs: 120, batch_size: 16, learning_rate: run.lr, seed: 42, backend: 'auto' },
                },
              }))}
            />
          </div>
          <div className="story-card">
            <FinalMetricsTable
              runs={runs.map((run, i) => ({
                id: run.id,
                label: run.label,
                values: { best_val_loss: 0.09 + i * 0.02, best_val_accuracy: [0.967, 0.95, 0.967][i], loss: 0.07 + i * 0.015, accuracy: 0.975 - i * 0.01, test_accuracy: i === 2 ? null : 0.9667 - i * 0.033 },
              }))}
            />
          </div>
        </div>
      </main>
    </div>
  );
}

const story = new URLSearchParams(location.search).get('story');
if (story) {
  document.documentElement.setAttribute('data-theme', story);
  createRoot(document.getElementById('root')!).render(<Story />);
} else {
  document.body.setAttribute('data-ready', 'true');
}
