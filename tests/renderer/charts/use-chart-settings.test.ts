import { act, renderHook } from '@testing-library/react';
import { beforeEach, expect, test } from 'vitest';
import { readChartSettings, useChartSettings } from '../../../src/renderer/src/charts/use-chart-settings';

beforeEach(() => localStorage.clear());

test('smoothing and log scale survive a reload, per kind of chart', () => {
  const first = renderHook(() => useChartSettings('run'));
  act(() => first.result.current.setSmoothing(0.6));
  act(() => first.result.current.setLogScale(true));
  first.unmount();

  // a reload: a fresh hook reads what was chosen
  const again = renderHook(() => useChartSettings('run'));
  expect(again.result.current).toMatchObject({ smoothing: 0.6, logScale: true });
  // the comparison's charts keep their own settings
  expect(renderHook(() => useChartSettings('compare')).result.current).toMatchObject({ smoothing: 0, logScale: false });
});

test('damaged or out-of-range stored settings read as the defaults', () => {
  localStorage.setItem('expman.chart-settings.run', '{not json');
  expect(readChartSettings('run')).toEqual({ smoothing: 0, logScale: false });
  localStorage.setItem('expman.chart-settings.run', JSON.stringify({ smoothing: 5, logScale: 'yes' }));
  expect(readChartSettings('run')).toEqual({ smoothing: 0, logScale: false });
});
