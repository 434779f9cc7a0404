import { describe, expect, test } from 'vitest';
import { TaskRegistry } from '../../../src/core/api/task-registry.js';

describe('TaskRegistry', () => {
  test('one task per id: a second start is a CONFLICT; cancel aborts the running one', async () => {
    const tasks = new TaskRegistry();
    const first = tasks.run('t1', (signal) => new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('aborted'))));
    await expect(tasks.run('t1', async () => 'second')).rejects.toMatchObject({ code: 'CONFLICT', message: 'task t1 is already running' });
    expect(tasks.cancel('t1')).toBe(true);
    expect(await first).toBe('aborted');
    expect(tasks.cancel('t1')).toBe(false);
    expect(await tasks.run('t1', async () => 'again')).toBe('again');
  });
});
