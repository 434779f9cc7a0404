import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test } from 'vitest';
import { ConfigDiffTable } from '../../../src/renderer/src/compare/ConfigDiffTable';
import { configValuesEqual, diffConfigs, flattenConfig, formatConfigValue } from '../../../src/renderer/src/compare/config-diff';

afterEach(cleanup);

const runs = [
  {
    id: 'run-a',
    label: 'run A',
    config: { training: { epochs: 100, learning_rate: 0.01, layers: [16, 16] }, data: { dataset: 'prepared-dataset', seed: 42 } },
  },
  {
    id: 'run-b',
    label: 'run B',
    config: { training: { epochs: 100, learning_rate: 0.001, layers: [16, 16] }, data: { dataset: 'prepared-dataset', seed: 42 } },
  },
  {
    id: 'run-c',
    label: 'run C',
    config: { training: { epochs: 100, learning_rate: 0.01, layers: [32, 16], patience: 5 }, data: { dataset: 'prepared-dataset', seed: 42 } },
  },
];

test('diffConfigs flattens tables to dotted keys and compares arrays by value', () => {
  const rows = diffConfigs(runs);
  expect(rows.map((row) => row.key)).toEqual([
    'training.epochs',
    'training.learning_rate',
    'training.layers',
    'data.dataset',
    'data.seed',
    'training.patience',
  ]);
  expect(rows.filter((row) => row.differs).map((row) => row.key)).toEqual(['training.learning_rate', 'training.layers', 'training.patience']);
  expect(rows.find((row) => row.key === 'training.patience')!.values).toEqual([undefined, undefined, 5]);
});

test('values compare by value, not by identity', () => {
  expect(configValuesEqual([1, [2, 3]], [1, [2, 3]])).toBe(true);
  expect(configValuesEqual([1, 2], [2, 1])).toBe(false);
  expect(configValuesEqual({ a: [1] }, { a: [1] })).toBe(true);
  expect(configValuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(configValuesEqual(NaN, NaN)).toBe(true);
  expect(configValuesEqual(0, -0)).toBe(true);
  expect(configValuesEqual(1, '1')).toBe(false);
  expect(configValuesEqual(new Date(5), new Date(5))).toBe(true);
  expect(flattenConfig({ a: { b: { c: 1 } }, d: {} })).toEqual(new Map<string, unknown>([['a.b.c', 1], ['d', {}]]));
  expect(formatConfigValue(['relu', 2, true])).toBe('["relu", 2, true]');
  expect(formatConfigValue({ k: 1 })).toBe('{ k = 1 }');
});

test('the table shows only the keys that differ, and every key on request', async () => {
  const user = userEvent.setup();
  render(<ConfigDiffTable runs={runs} />);
  expect(screen.getByText('3 of 6 keys differ')).toBeTruthy();
  const table = screen.getByRole('table');
  const keys = () => within(table).getAllByRole('rowheader').map((cell) => cell.textContent);
  expect(keys()).toEqual(['training.learning_rate', 'training.layers', 'training.patience']);
  const header = within(table).getAllByRole('columnheader').map((cell) => cell.textContent);
  expect(header).toEqual(['key', 'run A', 'run B', 'run C']);
  const layers = within(table).getByRole('row', { name: /training\.layers/ });
  expect(within(layers).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['[16, 16]', '[16, 16]', '[32, 16]']);
  const patience = within(table).getByRole('row', { name: /training\.patience/ });
  expect(within(patience).getAllByRole('cell').map((cell) => cell.textContent)).toEqual(['—', '—', '5']);

  await user.click(screen.getByLabelText('Show all keys'));
  expect(keys()).toHaveLength(6);
  expect(keys()).toContain('data.seed');
});

test('identical configs say so instead of showing an empty table', () => {
  render(<ConfigDiffTable runs={[runs[0]!, { ...runs[0]!, id: 'copy', label: 'copy' }]} />);
  expect(screen.queryByRole('table')).toBeNull();
  expect(screen.getByText('All 5 keys are the same in every run.')).toBeTruthy();
});
