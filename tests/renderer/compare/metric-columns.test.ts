import { expect, test } from 'vitest';
import { DEFAULT_METRIC_COLUMNS, REGRESSION_METRIC_COLUMNS, metricColumnsFor } from '../../../src/renderer/src/compare/final-metrics';
import { headlineScore, metricsTask } from '../../../src/shared/run-events';

test('compare ranks each task by its own metrics; mixed tasks get both, shared columns once', () => {
  expect(metricColumnsFor(new Set(['classification']))).toBe(DEFAULT_METRIC_COLUMNS);
  expect(metricColumnsFor(new Set(['regression']))).toBe(REGRESSION_METRIC_COLUMNS);
  const mixed = metricColumnsFor(new Set(['classification', 'regression'])).map((c) => c.key);
  expect(mixed).toEqual(['best_val_loss', 'best_val_accuracy', 'loss', 'accuracy', 'test_accuracy', 'best_val_r2', 'best_val_rmse', 'test_r2', 'test_rmse']);
  const better = Object.fromEntries(REGRESSION_METRIC_COLUMNS.map((c) => [c.key, c.better]));
  expect(better).toMatchObject({ best_val_r2: 'max', test_r2: 'max', best_val_rmse: 'min', test_rmse: 'min' });
});

test('the headline score is accuracy for classification and R² for regression', () => {
  expect(headlineScore({ epoch: 3, val_loss: 0.2, val_accuracy: 0.96667 })).toEqual({ metric: 'val_accuracy', value: 0.96667, text: '0.9667' });
  expect(headlineScore({ epoch: 3, val_loss: 0.6, val_r2: 0.43121, val_rmse: 58 })).toEqual({ metric: 'val_r2', value: 0.43121, text: 'R² 0.4312' });
  expect(headlineScore(null)).toBeNull();
  expect(metricsTask({ val_r2: 0.1 })).toBe('regression');
  expect(metricsTask({ val_accuracy: 0.5 })).toBe('classification');
});
