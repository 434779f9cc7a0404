import { act, cleanup, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { HomeView } from '../../../src/renderer/src/views/HomeView';
import type { RunSummary } from '../../../src/shared/runs';
import { MemoryApi } from '../archive/memory-api';
import { renderInApp } from '../archive/render';

afterEach(cleanup);

const run = (model: string): RunSummary => ({ experiment: 'e1', model, dir: `/d/${model}`, status: 'finished', live: null, epoch: 5, epochs: 5, best: null, started: '2026-12-04T08:00:00Z' });

test('runs that appeared while the connection was down show up once it is back', async () => {
  const api = new MemoryApi({ runs: [run('before')] });
  renderInApp(api, <HomeView />);
  await screen.findByRole('link', { name: 'before' });
  // Written while the connection was down: its runs:changed push went to nobody.
  api.runs.push(run('during-the-drop'));
  expect(screen.queryByRole('link', { name: 'during-the-drop' })).toBeNull();
  act(() => api.restoreConnection());
  expect(await screen.findByRole('link', { name: 'during-the-drop' })).toBeTruthy();
});
