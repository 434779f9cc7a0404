// jsdom has no canvas: as in MetricChart.test.tsx, the 2D context is a recorder and matchMedia a stub.
// What is checked is which panels each task gets and what reaches the charts; the drawing itself is
// checked in Chromium (tests/e2e/regression-results.test.ts takes a screenshot).
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import type { TestResultsDto } from '../../../src/shared/runs';

vi.stubGlobal('matchMedia', (query: string) => ({ matches: false, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }));
const context = new Proxy({}, { get: (target: Record<string | symbol, unknown>, key) => (key in target ? target[key] : key === 'measureText' ? () => ({ width: 10 }) : () => undefined), set: (t, k, v) => ((t[k] = v), true) });
vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => context as unknown as CanvasRenderingContext2D);
vi.stubGlobal('Path2D', class { moveTo(): void {} lineTo(): void {} rect(): void {} arc(): void {} closePath(): void {} });

afterEach(cleanup);

const { RunResults } = await import('../../../src/renderer/src/runs/RunResults');

const regression: TestResultsDto = {
  task: 'regression',
  metrics: { mae: 43.7447, rmse: 53.764, r2: 0.5293, test_rows: 4, best_epoch: 2 },
  perClass: [],
  classes: [],
  confusion: [],
  predictions: { actual: [125, 225, 60, 310], predicted: [123.7, 190.3, 88, 250] },
};

test('regression results: MAE, RMSE, R² and the predicted-vs-actual and residual plots, no confusion matrix', async () => {
  render(<RunResults results={regression} />);
  await act(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const metrics = screen.getByText('Test metrics').closest('.panel') as HTMLElement;
  expect(within(metrics).getByText('R²').nextSibling?.textContent).toBe('0.5293');
  expect(within(metrics).getByText('RMSE').nextSibling?.textContent).toBe('53.7640');
  expect(within(metrics).getByText('MAE').nextSibling?.textContent).toBe('43.7447');
  const fit = screen.getByTestId('predicted-vs-actual');
  expect(within(fit).getByText('Predicted vs actual')).toBeTruthy();
  expect(within(fit).getByText('test rows')).toBeTruthy();
  expect(within(fit).getByText('predicted = actual')).toBeTruthy();
  const residuals = screen.getByTestId('residuals');
  expect(within(residuals).getByText('Residuals vs predicted')).toBeTruthy();
  expect(within(residuals).getByText('residual (actual − predicted)')).toBeTruthy();
  expect(fit.querySelector('.uplot canvas')).not.toBeNull();
  // A scatter has no "last" value: the legend shows values only under the pointer.
  expect(fit.querySelector('.chart-legend-value')).toBeNull();
  expect(within(fit).queryByText('last')).toBeNull();
  expect(document.querySelector('table.confusion')).toBeNull();
  expect(screen.queryByText('Per class')).toBeNull();
});

test('classification results keep the per-class table and the confusion matrix, and no regression plots', () => {
  render(
    <RunResults
      results={{
        task: 'classification',
        metrics: { accuracy: 0.9667, test_rows: 30, best_epoch: 40 },
        perClass: [
          { class: 'a', precision: 1, recall: 1, f1: 1, support: 10 },
          { class: 'b', precision: 0.9, recall: 1, f1: 0.95, support: 20 },
        ],
        classes: ['a', 'b'],
        confusion: [
          [10, 0],
          [1, 19],
        ],
      }}
    />,
  );
  expect(screen.getByText('Accuracy').nextSibling?.textContent).toBe('0.9667');
  expect(document.querySelectorAll('table.confusion tbody tr')).toHaveLength(2);
  expect(screen.queryByTestId('predicted-vs-actual')).toBeNull();
});
