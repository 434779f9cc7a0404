import { afterEach, expect, test, vi } from 'vitest';
import { runCommandProcess, type CommandOptions } from '../../../src/core/trainers/command-process.js';

afterEach(() => vi.restoreAllMocks());

/**
 * Runs a command and returns the timers it leaves pending when it resolves. A pending timer keeps the
 * worker of a command run alive after the run has ended; a sweep waits for a pruned trial's worker to exit
 * before it follows the other trials again, so a lingering worker delays every prune.
 */
async function pendingTimersAfter(options: Omit<CommandOptions, 'cwd' | 'env' | 'graceMs' | 'file'>): Promise<{ exit: Awaited<ReturnType<typeof runCommandProcess>>; pending: number[] }> {
  const pending = new Map<unknown, number>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    const handle: unknown = realSet(() => {
      pending.delete(handle);
      fn();
    }, ms);
    pending.set(handle, ms ?? 0);
    return handle;
  }) as typeof setTimeout);
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle: NodeJS.Timeout) => {
    pending.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout);
  const exit = await runCommandProcess({ ...options, file: process.execPath, cwd: process.cwd(), env: process.env, graceMs: 5000 });
  return { exit, pending: [...pending.values()] };
}

test('a command that has ended leaves no timer behind (its worker can exit at once)', async () => {
  const lines: string[] = [];
  const { exit, pending } = await pendingTimersAfter({ args: ['-e', 'console.log("hi")'], onLine: (_s, line) => lines.push(line) });
  expect(exit).toMatchObject({ code: 0, stopped: false });
  expect(lines).toEqual(['hi']);
  expect(pending).toEqual([]);
});

test('a stopped command leaves no timer behind either', async () => {
  const stop = new AbortController();
  const { exit, pending } = await pendingTimersAfter({ args: ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], signal: stop.signal, onLine: () => stop.abort() });
  expect(exit).toMatchObject({ stopped: true, signal: 'SIGTERM' });
  expect(pending).toEqual([]);
});
