import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { SyncDestinationStore } from '../../../src/core/api/sync-destinations.js';

const dir = mkdtempSync(join(tmpdir(), 'expman-destinations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('destinations saved at the same time from two windows are all kept (no lost update)', async () => {
  const file = join(dir, 'settings', 'sync-destinations.json');
  const windowA = new SyncDestinationStore(file);
  const windowB = new SyncDestinationStore(file);
  const names = Array.from({ length: 12 }, (_, i) => `dest-${String(i).padStart(2, '0')}`);
  await Promise.all(names.map((name, i) => (i % 2 ? windowA : windowB).save({ name, target: `/backup/${name}`, excludeCheckpoints: false, delete: false })));
  expect((await windowA.list()).map((d) => d.name)).toEqual(names);
  await Promise.all([windowA.remove('dest-00'), windowB.remove('dest-11'), windowA.save({ name: 'dest-05', target: '/elsewhere', excludeCheckpoints: true, delete: false })]);
  const list = JSON.parse(readFileSync(file, 'utf8')) as Array<{ name: string; target: string }>;
  expect(list.map((d) => d.name)).toEqual(names.slice(1, -1));
  expect(list.find((d) => d.name === 'dest-05')!.target).toBe('/elsewhere');
});
