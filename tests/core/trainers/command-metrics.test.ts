import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import type { RunEvent } from '../../../src/shared/run-events.js';
import { MetricsIngest } from '../../../src/core/trainers/command-metrics.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function follow(initial = ''): { file: string; ingest: () => Promise<MetricsIngest>; events: RunEvent[]; reports: Array<[number, string]> } {
  const dir = mkdtempSync(join(tmpdir(), 'expman-ingest-'));
  dirs.push(dir);
  const file = join(dir, 'metrics.jsonl');
  writeFileSync(file, initial);
  const events: RunEvent[] = [];
  const reports: Array<[number, string]> = [];
  return {
    file,
    events,
    reports,
    ingest: async () => {
      const start = await MetricsIngest.start(file);
      return new MetricsIngest(file, start.offset, start.lines, (e) => events.push(e), (line, text) => reports.push([line, text]));
    },
  };
}

test('follows appended lines from where it started, waits for a line to be complete, and never garbles a split UTF-8 character', async () => {
  const f = follow('{"event":"run_started"}\n');
  const ingest = await f.ingest();
  const line = Buffer.from('{"event":"epoch_end","epoch":1,"note":"é→✓"}\n');
  // The line arrives in two writes, cut inside a multi-byte character.
  appendFileSync(f.file, line.subarray(0, 40));
  await ingest.poll();
  expect(f.events).toEqual([]);
  appendFileSync(f.file, line.subarray(40));
  await ingest.poll();
  expect(f.events).toEqual([{ event: 'epoch_end', epoch: 1, note: 'é→✓' }]);
});

test('counts lines that are not JSON event objects and reports the first with the file\'s own line number', async () => {
  const f = follow('{"event":"run_started"}\n{"event":"run_resumed"}\n');
  const ingest = await f.ingest();
  appendFileSync(f.file, '{"event":"epoch_end","epoch":1}\nnot json\nnull\n\n[1,2]\n{"event":"epoch_end","epoch":2}\n');
  await ingest.poll();
  expect(f.events.map((e) => (e as { epoch?: number }).epoch)).toEqual([1, 2]);
  expect(ingest.invalid).toBe(3);
  expect(f.reports).toEqual([[4, 'not json']]);
});

test('a line longer than one read (8 MiB) is skipped and counted once; the lines after it are read', async () => {
  const f = follow();
  const ingest = await f.ingest();
  appendFileSync(f.file, `{"event":"epoch_end","epoch":1}\n${'x'.repeat(9 << 20)}\n{"event":"epoch_end","epoch":2}\n`);
  await ingest.poll();
  expect(f.events.map((e) => (e as { epoch?: number }).epoch)).toEqual([1, 2]);
  expect(ingest.invalid).toBe(1);
  expect(f.reports).toEqual([[1, '(a line longer than 8 MiB)']]);
});
