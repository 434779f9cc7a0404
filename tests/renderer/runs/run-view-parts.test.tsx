import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { EarlyStopNotice } from '../../../src/renderer/src/runs/EarlyStopNotice';
import { KeyValueTree } from '../../../src/renderer/src/runs/KeyValueTree';
import { RunMetricsStore } from '../../../src/renderer/src/runs/run-metrics';
import { NoSuchRun } from '../../../src/renderer/src/runs/NoSuchRun';

afterEach(cleanup);

test('an unknown run address says there is no such run, with a way back', () => {
  render(<NoSuchRun experiment="e1" model="run-typo" />);
  expect(screen.getByRole('heading', { name: 'No such run' })).toBeTruthy();
  expect(screen.getByRole('alert').textContent).toContain('There is no run run-typo in experiment e1');
  expect(screen.getByRole('link', { name: 'Back to e1' }).getAttribute('href')).toBe('#/experiments/e1');
});

test('provenance objects and lists show as nested key/value, not JSON text', () => {
  const provenance = {
    dataset: 'iris',
    dataset_hashes: { 'train.csv': 'ab12', 'test.csv': 'cd34' },
    command_line: ['expman', 'train', '--set', 'training.epochs=5'],
    git_dirty: false,
  };
  const { container } = render(<KeyValueTree value={provenance} label="Provenance" />);
  expect(container.textContent).not.toMatch(/[{}"[\]]/);
  const nested = screen.getByLabelText('dataset_hashes');
  expect(within(nested).getByText('train.csv')).toBeTruthy();
  expect(within(nested).getByText('ab12')).toBeTruthy();
  const args = within(screen.getByRole('list', { name: 'command_line' })).getAllByRole('listitem').map((li) => li.textContent);
  expect(args).toEqual(['expman', 'train', '--set', 'training.epochs=5']);
  expect(screen.getByText('false')).toBeTruthy();
});

test('an early-stopped run says so, from the stored events or the live ones', () => {
  const stored = new RunMetricsStore();
  stored.addStored({ epochs: [], batches: [], offset: 0, earlyStop: { epoch: 47, best_epoch: 27, patience: 20 } });
  expect(stored.earlyStop).toEqual({ epoch: 47, best_epoch: 27, patience: 20 });
  const live = new RunMetricsStore();
  live.addEvents([{ event: 'early_stopped', time: '2026-12-04T10:00:00Z', epoch: 30, best_epoch: 10, patience: 20 }]);
  expect(live.earlyStop).toEqual({ epoch: 30, best_epoch: 10, patience: 20 });

  render(<EarlyStopNotice stop={stored.earlyStop!} epochs={1500} />);
  expect(screen.getByTestId('early-stop').textContent).toMatch(/^Stopped early at epoch 47 of 1500: val_loss did not improve for 20 epochs \(best epoch 27/);
});
