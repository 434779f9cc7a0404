// jsdom has no canvas: the 2D context is replaced by a recorder that accepts every call (uPlot draws
// into it), and matchMedia by a stub. What is checked is the React side (legend, show/hide, values,
// controls) and what reaches uPlot; the drawing itself is checked in Chromium by bench/ui-charts.mjs.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, expect, test, vi } from 'vitest';
import type { ChartSeries } from '../../../src/renderer/src/charts/chart-data';

let lineCalls = 0;
/** Every text uPlot draws (tick labels, axis names). */
const drawnText: string[] = [];
/** Every fill style set on the canvas (band fills among them). */
const fills: string[] = [];

// Before uPlot is imported: it reads matchMedia when it loads.
vi.stubGlobal('matchMedia', (query: string) => ({
  matches: false,
  media: query,
  addEventListener: () => undefined,
  removeEventListener: () => undefined,
}));
const context = new Proxy(
  {},
  {
    get(target: Record<string | symbol, unknown>, key) {
      if (key in target) return target[key];
      if (key === 'measureText') return () => ({ width: 10 });
      if (key === 'lineTo') return () => void lineCalls++;
      if (key === 'fillText') return (text: unknown) => void drawnText.push(String(text));
      return () => undefined;
    },
    set(target, key, value) {
      if (key === 'fillStyle') fills.push(String(value));
      target[key] = value;
      return true;
    },
  },
);
vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as unknown as CanvasRenderingContext2D);
vi.stubGlobal('Path2D', class {
  moveTo(): void {}
  lineTo(): void {
    lineCalls++;
  }
  rect(): void {}
  arc(): void {}
  closePath(): void {}
});

afterEach(() => {
  cleanup();
  lineCalls = 0;
  drawnText.length = 0;
  fills.length = 0;
});

const { MetricChart } = await import('../../../src/renderer/src/charts/MetricChart');
const { ChartControls } = await import('../../../src/renderer/src/charts/ChartControls');
const { logRange } = await import('../../../src/renderer/src/charts/axis-ticks');
const { meanStdBands } = await import('../../../src/renderer/src/charts/group-bands');

const loss: ChartSeries = { id: 'loss', label: 'loss', x: [1, 2, 3, 4], y: [1.2, 0.8, 0.5, 0.4] };
const valLoss: ChartSeries = { id: 'val_loss', label: 'val_loss', x: [1, 2, 3, 4], y: [1.3, 0.9, 0.7, 0.65] };

test('draws the series and lists them in the legend with their last values', async () => {
  const { container } = render(<MetricChart title="Loss" series={[loss, valLoss]} xLabel="epoch" />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  expect(screen.getByText('Loss')).toBeTruthy();
  expect(container.querySelector('.uplot canvas')).not.toBeNull();
  expect(lineCalls).toBeGreaterThan(0);
  const item = screen.getByRole('button', { name: /^loss/ });
  expect(item.getAttribute('aria-pressed')).toBe('true');
  expect(item.textContent).toContain('0.4');
  expect(screen.getByRole('button', { name: /val_loss/ }).textContent).toContain('0.65');
});

test('with smoothing the legend shows the smoothed value and the raw one', () => {
  render(<MetricChart series={[{ id: 'a', label: 'a', x: [0, 1], y: [1, 3] }]} smoothing={0.5} />);
  // debiased EMA of [1, 3] with w = 0.5: (0.25 + 1.5) / 0.75
  expect(screen.getByRole('button', { name: /^a/ }).textContent).toBe(`a${String(Number((1.75 / 0.75).toPrecision(4)))} (3)`);
});

test('clicking a legend entry hides the series and clicking again shows it', async () => {
  const user = userEvent.setup();
  render(<MetricChart series={[loss, valLoss]} />);
  const item = screen.getByRole('button', { name: /^loss/ });
  await user.click(item);
  expect(item.getAttribute('aria-pressed')).toBe('false');
  expect(item.textContent).toBe('loss');
  await user.click(item);
  expect(item.getAttribute('aria-pressed')).toBe('true');
});

test('a controlled hidden set is reported through onToggleSeries', async () => {
  const user = userEvent.setup();
  const toggles: string[] = [];
  render(<MetricChart series={[loss, valLoss]} hidden={new Set(['val_loss'])} onToggleSeries={(id) => toggles.push(id)} />);
  expect(screen.getByRole('button', { name: /val_loss/ }).getAttribute('aria-pressed')).toBe('false');
  await user.click(screen.getByRole('button', { name: /^loss/ }));
  expect(toggles).toEqual(['loss']);
});

test('a live series that grows updates the legend without rebuilding the plot', async () => {
  const x = new Float64Array(1024);
  const y = new Float64Array(1024);
  let length = 0;
  const append = (n: number): void => {
    for (let i = 0; i < n; i++, length++) {
      x[length] = length;
      y[length] = 1 / (1 + length);
    }
  };
  append(10);
  const { container, rerender } = render(<MetricChart series={[{ id: 'live', label: 'live', x, y, length }]} />);
  const canvas = container.querySelector('canvas');
  append(90);
  rerender(<MetricChart series={[{ id: 'live', label: 'live', x, y, length }]} />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  expect(container.querySelector('canvas')).toBe(canvas);
  expect(screen.getByRole('button', { name: /^live/ }).textContent).toBe(`live${String(Number((1 / 100).toPrecision(4)))}`);
});

test('ChartControls reports the smoothing weight and the log toggle', async () => {
  const user = userEvent.setup();
  function Harness() {
    const [smoothing, setSmoothing] = useState(0.6);
    const [log, setLog] = useState(false);
    return (
      <>
        <ChartControls smoothing={smoothing} onSmoothingChange={setSmoothing} logScale={log} onLogScaleChange={setLog} />
        <span data-testid="state">{`${smoothing}|${log}`}</span>
      </>
    );
  }
  render(<Harness />);
  fireEvent.change(screen.getByLabelText('Smoothing'), { target: { value: '0.9' } });
  await user.click(screen.getByLabelText('Log scale'));
  expect(screen.getByTestId('state').textContent).toBe('0.9|true');
  expect(screen.getByText('0.9')).toBeTruthy();
});

test('rejects a smoothing weight outside 0 … 0.999', () => {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  expect(() => render(<MetricChart series={[loss]} smoothing={1} />)).toThrow(/between 0 and 0.999, got 1/);
});

test('labels log-scale ticks with exponents (1e-4, 1e-6 never read as 0) and epoch ticks as whole numbers only', async () => {
  const tiny: ChartSeries = { id: 'loss', label: 'loss', x: [1, 2, 3, 4, 5], y: [1, 1e-2, 1e-4, 1e-5, 1e-6] };
  // a wide chart (jsdom has no layout), so uPlot has room for a tick per half epoch on the old axis
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200);
  render(<MetricChart title="Loss" series={[tiny]} xLabel="epoch" logScale />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  expect(drawnText).toEqual(expect.arrayContaining(['1', '0.01', '1e-4', '1e-6']));
  expect(drawnText).not.toContain('0');
  const numbers = drawnText.filter((text) => /^-?[\d.]+(e-?\d+)?$/.test(text)).map(Number);
  // x ticks of a 5-epoch run: 1 … 5, no 1.5 or 2.5
  expect(numbers.filter((n) => n > 1 && n < 5 && !Number.isInteger(n))).toEqual([]);
  expect(drawnText).toEqual(expect.arrayContaining(['2', '3', '4']));
  vi.restoreAllMocks();
});

test('a log axis fits the data: values between 0.2 and 1 are not drawn on 0.1–10', async () => {
  drawnText.length = 0;
  // the test before restored every mock, the canvas recorder with them
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as unknown as CanvasRenderingContext2D);
  const loss: ChartSeries = { id: 'loss', label: 'loss', x: [1, 2, 3, 4, 5], y: [1, 0.6, 0.4, 0.3, 0.2] };
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1200);
  render(<MetricChart title="Loss" series={[loss]} xLabel="epoch" logScale />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const numbers = drawnText.filter((text) => /^-?[\d.]+(e-?\d+)?$/.test(text)).map(Number);
  expect(numbers).toContain(0.2);
  expect(numbers.filter((n) => n > 1.2 && !Number.isInteger(n))).toEqual([]);
  expect(numbers).not.toContain(10);
  expect(numbers).not.toContain(0.1);
  vi.restoreAllMocks();
});

test('logRange pads the data by a little in log space, never to whole decades', () => {
  const [lo, hi] = logRange(0.2, 1);
  expect(lo).toBeGreaterThan(0.18);
  expect(lo).toBeLessThan(0.2);
  expect(hi).toBeGreaterThan(1);
  expect(hi).toBeLessThan(1.1);
  expect(logRange(0.5, 0.5)).toEqual([0.5 / 1.5, 0.75]);
  expect(logRange(null, null)).toEqual([0.1, 1]);
});

test('grouped runs: one mean line per group in the legend, its ± std band filled in its colour, hidden with it', async () => {
  const user = userEvent.setup();
  // tests before restored every mock, the canvas recorder with them
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as unknown as CanvasRenderingContext2D);
  const run = (id: string, y: number[]): ChartSeries => ({ id, label: id, x: [1, 2, 3], y });
  const series = meanStdBands([
    { id: 'lr=0.01', label: 'lr=0.01', members: [run('a', [1, 2, 3]), run('b', [3, 4, 5])] },
    { id: 'lr=0.1', label: 'lr=0.1', members: [run('c', [2, 2, 2])] },
  ]);
  render(<MetricChart series={series} xLabel="epoch" />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const legend = screen.getAllByRole('button').map((b) => b.textContent);
  expect(legend).toEqual(['lr=0.01 (mean of 2)4', 'lr=0.1 (mean of 1)2']);
  expect(fills.some((f) => f.startsWith('color-mix(in srgb,') && f.endsWith('22%, transparent)'))).toBe(true);
  await user.click(screen.getByRole('button', { name: /^lr=0.01/ }));
  expect(screen.getByRole('button', { name: /^lr=0.01/ }).getAttribute('aria-pressed')).toBe('false');
  cleanup();
  vi.restoreAllMocks();
});
