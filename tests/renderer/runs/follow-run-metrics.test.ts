import { expect, test } from 'vitest';
import type { EventPayloads, ExpmanApi } from '../../../src/shared/api';
import type { RunEvent } from '../../../src/shared/run-events';
import type { RunMetrics } from '../../../src/shared/runs';
import { followRunMetrics } from '../../../src/renderer/src/runs/follow-run-metrics';
import { RunMetricsStore } from '../../../src/renderer/src/runs/run-metrics';

type EpochEnd = Extract<RunEvent, { event: 'epoch_end' }>;
const epoch = (n: number): EpochEnd => ({ event: 'epoch_end', time: 't', epoch: n, epochs: 9, duration_ms: 1, samples_per_s: 1, loss: 1, accuracy: 1, val_loss: 1, val_accuracy: 1 });
const LINE = 100; // pretend every line is 100 bytes

/** A file of epochs 1..n on the "server"; runs:metrics answers from it, pushes come from the test. */
function fakeApi(file: { epochs: number }) {
  const appended = new Set<(p: EventPayloads['runs:appended']) => void>();
  const restored = new Set<() => void>();
  const requests: number[] = [];
  const api = {
    runsMetrics: async ({ since = 0 }: { since?: number }): Promise<RunMetrics> => {
      requests.push(since);
      const from = Math.floor(since / LINE) + 1;
      const epochs = [];
      for (let n = from; n <= file.epochs; n++) epochs.push(epoch(n));
      return { epochs, batches: [], offset: file.epochs * LINE };
    },
    onRunsAppended: (l: (p: EventPayloads['runs:appended']) => void) => (appended.add(l), () => appended.delete(l)),
    onRunsEvent: () => () => undefined,
    onRunsExited: () => () => undefined,
    onConnectionRestored: (l: () => void) => (restored.add(l), () => restored.delete(l)),
  } as unknown as ExpmanApi;
  const restore = (): void => restored.forEach((l) => l());
  const push = (first: number, last: number, model = 'm'): void => {
    const events = [];
    for (let n = first; n <= last; n++) events.push(epoch(n));
    for (const l of appended) l({ experiment: 'e', model, events, from: (first - 1) * LINE, offset: last * LINE });
  };
  return { api, push, requests, restore };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

test('stored metrics, then pushed appends; a gap is read with since; other runs are ignored', async () => {
  const file = { epochs: 3 };
  const { api, push, requests } = fakeApi(file);
  const store = new RunMetricsStore();
  let changes = 0;
  const off = followRunMetrics(api, 'e', 'm', store, () => changes++);
  await tick();
  expect(store.epochCount).toBe(3);
  file.epochs = 4;
  push(4, 4);
  push(1, 9, 'other');
  expect(store.epochCount).toBe(4);
  expect(requests).toEqual([0]); // contiguous: no pull
  // Epochs 5-6 were never pushed to us (say, we subscribed late): the push of 7 reveals the gap.
  file.epochs = 7;
  push(7, 7);
  await tick();
  expect(requests).toEqual([0, 400]);
  expect(store.latestEpoch()?.epoch).toBe(7);
  expect(store.epochCount).toBe(7);
  off();
  push(8, 8);
  expect(store.epochCount).toBe(7);
  expect(changes).toBeGreaterThan(0);
});

test('after a reconnect, what was appended while the pushes were lost is read from the offset reached', async () => {
  const file = { epochs: 3 };
  const { api, requests, restore } = fakeApi(file);
  const store = new RunMetricsStore();
  const off = followRunMetrics(api, 'e', 'm', store, () => undefined);
  await tick();
  // Epochs 4-6 were written while the connection was down; no push will ever say so.
  file.epochs = 6;
  restore();
  await tick();
  expect(requests).toEqual([0, 300]);
  expect(store.epochCount).toBe(6);
  off();
  restore();
  await tick();
  expect(requests).toEqual([0, 300]);
});
