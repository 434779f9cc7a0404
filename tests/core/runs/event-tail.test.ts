import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readEventTail } from '../../../src/core/runs/event-tail.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const line = (epoch: number): string => `${JSON.stringify({ event: 'checkpoint_saved', time: 't', epoch, path: 'p' })}\n`;
const epochs = (tail: Awaited<ReturnType<typeof readEventTail>>): number[] => tail!.events.map((e) => (e as { epoch: number }).epoch);

test('reads complete lines from an offset, holds a torn last line back, resynchronises mid-line, restarts a replaced file', async () => {
  const file = join(tempDataDir(false), 'metrics.jsonl');
  expect(await readEventTail(file)).toBeNull();
  writeFileSync(file, line(1) + line(2) + line(3).slice(0, 10));
  const first = await readEventTail(file, 0);
  expect(epochs(first)).toEqual([1, 2]);
  expect(first!.offset).toBe(Buffer.byteLength(line(1) + line(2)));

  appendFileSync(file, line(3).slice(10) + line(4));
  const second = await readEventTail(file, first!.offset);
  expect(second).toMatchObject({ from: first!.offset });
  expect(epochs(second)).toEqual([3, 4]);

  // An offset inside a line (a size taken while a writer appended): that line is skipped, not misparsed.
  expect(epochs(await readEventTail(file, 5))).toEqual([2, 3, 4]);
  // Nothing new: an empty read at the same offset.
  expect(await readEventTail(file, second!.offset)).toEqual({ events: [], from: second!.offset, offset: second!.offset });

  writeFileSync(file, line(9));
  const replaced = await readEventTail(file, second!.offset);
  expect(replaced).toMatchObject({ from: 0 });
  expect(epochs(replaced)).toEqual([9]);
});

test('lines that are JSON but no event object (a command run\'s script wrote them) are skipped by every reader', async () => {
  const { readEvents, epochHistory } = await import('../../../src/core/training/run-store.js');
  const dir = tempDataDir(false);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'logs'));
  const file = join(dir, 'logs', 'metrics.jsonl');
  writeFileSync(file, ['null', '42', '"text"', '[1]', '{"no_event":1}', '{"event":"epoch_end","epoch":1,"loss":0.5,"val_loss":0.4}', ''].join('\n'));
  const tail = (await readEventTail(file))!;
  expect(tail.events).toEqual([{ event: 'epoch_end', epoch: 1, loss: 0.5, val_loss: 0.4 }]);
  const events = await readEvents(dir);
  expect(epochHistory(events).map((e) => e.epoch)).toEqual([1]);
});
