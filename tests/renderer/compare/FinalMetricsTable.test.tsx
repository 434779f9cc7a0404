import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { FinalMetricsTable } from '../../../src/renderer/src/compare/FinalMetricsTable';
import { bestRunsPerColumn, type MetricColumn } from '../../../src/renderer/src/compare/final-metrics';

afterEach(cleanup);

const columns: MetricColumn[] = [
  { key: 'best_val_loss', label: 'best val_loss', better: 'min' },
  { key: 'test_accuracy', label: 'test accuracy', better: 'max' },
];
const runs = [
  { id: 'a', label: 'run A', values: { best_val_loss: 0.12, test_accuracy: 0.9667 } },
  { id: 'b', label: 'run B', values: { best_val_loss: 0.08, test_accuracy: 0.9667 } },
  { id: 'c', label: 'run C', values: { best_val_loss: NaN, test_accuracy: null } },
];

test('the best value of each column is found by its direction; ties are all best; missing values never', () => {
  const best = bestRunsPerColumn(runs, columns);
  expect([...best.get('best_val_loss')!]).toEqual(['b']);
  expect([...best.get('test_accuracy')!]).toEqual(['a', 'b']);
  expect(bestRunsPerColumn([runs[0]!], columns).get('best_val_loss')!.size).toBe(0);
});

test('the table shows the runs side by side and highlights the best cells', () => {
  render(<FinalMetricsTable runs={runs} columns={columns} />);
  const rowOf = (name: string) => within(screen.getByRole('row', { name: new RegExp(name) })).getAllByRole('cell');
  const [lossA, accA] = rowOf('run A');
  const [lossB] = rowOf('run B');
  const [lossC, accC] = rowOf('run C');
  expect(lossA!.textContent).toBe('0.12');
  expect(lossA!.className).toBe('');
  expect(lossB!.className).toBe('cmp-best');
  expect(accA!.className).toBe('cmp-best');
  expect(lossC!.textContent).toBe('NaN');
  expect(accC!.textContent).toBe('—');
  expect(screen.getByRole('columnheader', { name: /best val_loss ↓/ })).toBeTruthy();
});
