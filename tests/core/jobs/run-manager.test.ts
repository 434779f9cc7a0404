import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Batcher } from '../../../src/core/jobs/batcher.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { workspace } from '../../../src/core/workspace.js';
import type { EventChannel, EventPayloads, JobExit } from '../../../src/shared/api.js';
import { cliBundle, irisCsv, testLogDir } from '../../helpers/data-dir.js';

let data: string;
beforeAll(() => {
  process.env['EXPMAN_LOG_DIR'] = testLogDir;
  data = mkdtempSync(join(tmpdir(), 'expman-jobs-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
});
afterAll(() => rmSync(data, { recursive: true, force: true }));

function recorder() {
  const events: Array<{ channel: EventChannel; payload: unknown; at: number }> = [];
  const emit = <E extends EventChannel>(channel: E, payload: EventPayloads[E]): void => void events.push({ channel, payload, at: Date.now() });
  const exited = (jobId: string): Promise<JobExit> =>
    new Promise((resolve) => {
      const timer = setInterval(() => {
        const hit = events.find((e) => e.channel === 'runs:exited' && (e.payload as JobExit).jobId === jobId);
        if (hit) {
          clearInterval(timer);
          resolve(hit.payload as JobExit);
        }
      }, 20);
    });
  return { events, emit, exited };
}

describe('Batcher', () => {
  test('delivers at most one batch per interval, everything in order, and flushes on demand', () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const b = new Batcher<number>((items) => batches.push(items), 100);
      // 1000 items over one simulated second, one every millisecond.
      for (let i = 0; i < 1000; i++) {
        b.push(i);
        vi.advanceTimersByTime(1);
      }
      expect(batches.length).toBeLessThanOrEqual(11);
      expect(batches.length).toBeGreaterThanOrEqual(9);
      b.push(1000);
      b.flush();
      expect(batches.flat()).toEqual(Array.from({ length: 1001 }, (_, i) => i));
      b.flush();
      expect(batches.at(-1)).toEqual([1000]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RunManager (real training child processes)', () => {
  test('runs a job in a child process, batches its events, and always reports how it ended', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit, flushIntervalMs: 100 });
    const job = await manager.start(workspace(data), { experiment: 'default', model: 'batched', overrides: ['training.epochs=4', 'training.batch_size=8', 'logging.batch_interval_ms=0'] });
    expect(job).toMatchObject({ state: 'running', run: { experiment: 'default', model: 'batched' } });
    const exit = await rec.exited(job.id);
    expect(exit).toMatchObject({ state: 'finished', code: 0, signal: null });

    const runEvents = rec.events.filter((e) => e.channel === 'runs:event').map((e) => e.payload as EventPayloads['runs:event']);
    const all = runEvents.flatMap((b) => b.events);
    expect(all[0]?.event).toBe('run_started');
    expect(all.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch)).toEqual([1, 2, 3, 4]);
    expect(all.filter((e) => e.event === 'batch_end').length).toBeGreaterThan(4 * 5);
    expect(all.at(-1)?.event).toBe('run_finished');
    // Batched: many more events than messages, and never more than 10 event messages in any second.
    expect(runEvents.length).toBeLessThan(all.length / 3);
    const times = rec.events.filter((e) => e.channel === 'runs:event').map((e) => e.at);
    for (let i = 10; i < times.length; i++) expect(times[i]! - times[i - 10]!).toBeGreaterThanOrEqual(900);
    // The exit comes after the last batch, and the job list says finished.
    const lastEventAt = rec.events.findLastIndex((e) => e.channel === 'runs:event');
    const exitAt = rec.events.findIndex((e) => e.channel === 'runs:exited');
    expect(exitAt).toBeGreaterThan(lastEventAt);
    expect(manager.state().jobs[0]).toMatchObject({ state: 'finished', exit: { code: 0, signal: null } });
  });

  test('queues beyond the concurrency, stops a running job (resumable) and removes a queued one', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit, concurrency: 1 });
    const ws = workspace(data);
    const first = await manager.start(ws, { experiment: 'q', overrides: ['training.epochs=300', 'training.early_stopping.enabled=false'] });
    const second = await manager.start(ws, { experiment: 'q', overrides: ['training.epochs=2'] });
    const third = await manager.start(ws, { experiment: 'q', overrides: ['training.epochs=2'] });
    expect([first.state, second.state, third.state]).toEqual(['running', 'queued', 'queued']);
    expect(new Set([first.run.model, second.run.model, third.run.model]).size).toBe(3);
    expect(manager.stop(third.id).state).toBe('stopped');

    // Wait for a few epochs, then stop the first: it ends as stopped (SIGTERM → exit 143), the second starts.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if ((manager.state().jobs[0]?.epoch ?? 0) >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
    manager.stop(first.id);
    expect(await rec.exited(first.id)).toMatchObject({ state: 'stopped', code: 143, signal: null });
    expect(await rec.exited(second.id)).toMatchObject({ state: 'finished', code: 0 });
    expect((await rec.exited(third.id)).state).toBe('stopped');
    expect(manager.state().jobs.map((j) => j.state)).toEqual(['stopped', 'finished', 'stopped']);

    // The stopped run resumes from its last checkpoint as a new job on the same run folder.
    const resumed = await manager.resume(ws, first.run);
    expect(resumed).toMatchObject({ kind: 'resume', run: first.run });
    manager.stop(resumed.id);
    expect((await rec.exited(resumed.id)).state).toBe('stopped');
  });

  test('an invalid config is refused at once, before anything is queued', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit });
    await expect(manager.start(workspace(data), { experiment: 'default', overrides: ['training.epochs=-1'] })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(manager.start(workspace(data), { experiment: 'default', model: 'batched', overrides: [] })).rejects.toMatchObject({ code: 'RUN_EXISTS' });
    expect(manager.state().jobs).toEqual([]);
  });

  test('a worker that crashes is reported as failed with its exit code', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit });
    const job = await manager.start(workspace(data), { experiment: 'default', overrides: ['data.dataset=not-prepared'] });
    const exit = await rec.exited(job.id);
    expect(exit).toMatchObject({ state: 'failed', code: 1, signal: null, error: { code: 'DATASET_MISSING' } });
  });
});
