import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createBackend } from '../../../src/core/api/backend.js';
import type { EventPayloads } from '../../../src/shared/api.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const status = JSON.stringify({ status: 'finished', pid: 1, host: hostname(), started: '2026-12-04T10:00:00.000Z', updated: '2026-12-04T10:00:01.000Z', epoch: 1, epochs: 1, best: null });
const addRun = (root: string, experiment: string, model: string): void => {
  mkdirSync(join(root, 'experiments', experiment, 'models', model), { recursive: true });
  writeFileSync(join(root, 'experiments', experiment, 'models', model, 'status.json'), status);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the backend watches the open data folder while a client is attached, follows a focus change, and stops with the last client', async () => {
  const first = tempDataDir(false);
  const second = tempDataDir(false);
  for (const root of [first, second]) mkdirSync(join(root, 'experiments'), { recursive: true });
  const pushed: Array<EventPayloads['runs:changed']['runs'][number]> = [];
  const backend = createBackend({
    focus: { dataDir: first },
    transport: 'browser',
    emit: (channel, payload) => {
      if (channel === 'runs:changed') pushed.push(...(payload as EventPayloads['runs:changed']).runs);
    },
    watch: { mode: 'watch' },
  });
  const seen = async (model: string): Promise<boolean> => {
    for (let i = 0; i < 100 && !pushed.some((r) => r.model === model); i++) await sleep(30);
    return pushed.some((r) => r.model === model);
  };

  addRun(first, 'e', 'before-any-client');
  await sleep(300);
  expect(pushed).toEqual([]); // no client, no watcher

  const releaseA = backend.attachClient();
  const releaseB = backend.attachClient();
  await sleep(200); // the watcher takes its first snapshot
  addRun(first, 'e', 'with-clients');
  expect(await seen('with-clients')).toBe(true);
  expect(pushed.some((r) => r.model === 'before-any-client')).toBe(false); // existed at start: listed, not pushed

  backend.setFocus({ dataDir: second });
  await sleep(200);
  addRun(second, 'e', 'in-the-new-folder');
  addRun(first, 'e', 'in-the-old-folder');
  expect(await seen('in-the-new-folder')).toBe(true);
  await sleep(700);
  expect(pushed.some((r) => r.model === 'in-the-old-folder')).toBe(false);

  releaseA();
  releaseA(); // idempotent: one client is still attached
  addRun(second, 'e', 'one-client-left');
  expect(await seen('one-client-left')).toBe(true);
  releaseB();
  addRun(second, 'e', 'after-the-last-client');
  await sleep(900);
  expect(pushed.some((r) => r.model === 'after-the-last-client')).toBe(false);
});
