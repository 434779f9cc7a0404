import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Batcher } from '../../../src/core/jobs/batcher.js';
import { RunManager } from '../../../src/core/jobs/run-manager.js';
import { listRuns } from '../../../src/core/training/run-store.js';
import { workspace } from '../../../src/core/workspace.js';
import type { EventChannel, EventPayloads, JobExit } from '../../../src/shared/api.js';
import { cliBundle, irisCsv, testLogDir } from '../../helpers/data-dir.js';

let data: string;
let scripts: string;
beforeAll(() => {
  scripts = mkdtempSync(join(tmpdir(), 'expman-jobs-bin-'));
  process.env['EXPMAN_LOG_DIR'] = testLogDir;
  data = mkdtempSync(join(tmpdir(), 'expman-jobs-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  execFileSync(process.execPath, [cliBundle, 'preprocess', '--data', data, '--split=0.8', '--separate-sets'], { env: { ...process.env, EXPMAN_LOG_DIR: testLogDir } });
});
afterAll(() => {
  rmSync(data, { recursive: true, force: true });
  rmSync(scripts, { recursive: true, force: true });
});

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

  test('a dataset that is not prepared is refused at once, before anything is queued or created', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit });
    await expect(manager.start(workspace(data), { experiment: 'default', model: 'nodata', overrides: ['data.dataset=not-prepared'] })).rejects.toMatchObject({ code: 'DATASET_MISSING' });
    expect(existsSync(join(data, 'experiments/default/models/nodata'))).toBe(false);
    expect(manager.state().jobs).toEqual([]);
  });

  test('a queued run trains the config snapshot taken when it was queued, not the file as it is later', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit, concurrency: 1 });
    const ws = workspace(data);
    mkdirSync(join(data, 'experiments', 'snap'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'snap', 'config.toml'), '[training]\nepochs = 3\nbackend = "cpu"\n');
    const blocker = await manager.start(ws, { experiment: 'snap', model: 'blocker', overrides: ['training.epochs=100000', 'training.early_stopping.enabled=false'] });
    const queued = await manager.start(ws, { experiment: 'snap', model: 'queued', overrides: [] });
    expect(queued.state).toBe('queued');
    const dir = join(data, 'experiments/snap/models/queued');
    // The folder exists at once, queued, with the completed config.
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('queued');
    expect(readFileSync(join(dir, 'config.toml'), 'utf8')).toMatch(/epochs = 3/);
    expect((await listRuns(ws, 'snap')).find((r) => r.model === 'queued')).toMatchObject({ status: 'queued', live: null });
    // The user edits the experiment's config while the run waits.
    writeFileSync(join(data, 'experiments', 'snap', 'config.toml'), '[training]\nepochs = 7\nbackend = "cpu"\n');
    manager.stop(blocker.id);
    expect(await rec.exited(queued.id)).toMatchObject({ state: 'finished', code: 0 });
    const epochs = readFileSync(join(dir, 'logs/metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"epoch_end"'));
    expect(epochs).toHaveLength(3);
    expect(readFileSync(join(dir, 'config.toml'), 'utf8')).toMatch(/epochs = 3/);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  });

  test('a queued job that is stopped ends as a stopped run folder', async () => {
    const rec = recorder();
    const manager = new RunManager({ emit: rec.emit, concurrency: 1 });
    const ws = workspace(data);
    const first = await manager.start(ws, { experiment: 'cancel', overrides: ['training.epochs=100000', 'training.early_stopping.enabled=false'] });
    const second = await manager.start(ws, { experiment: 'cancel', model: 'never', overrides: [] });
    manager.stop(second.id);
    await rec.exited(second.id);
    await manager.stopAll();
    expect((await rec.exited(first.id)).state).toBe('stopped');
    await vi.waitFor(() => expect(JSON.parse(readFileSync(join(data, 'experiments/cancel/models/never/status.json'), 'utf8')).status).toBe('stopped'));
  });

  test('a worker that ignores SIGTERM is killed after the grace period; stopAll is bounded', async () => {
    const rec = recorder();
    const stubborn = join(scripts, 'stubborn-node');
    writeFileSync(stubborn, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} -e "process.on('SIGTERM', () => console.error('ignoring SIGTERM')); setInterval(() => {}, 1000)"\n`, { mode: 0o755 });
    const manager = new RunManager({ emit: rec.emit, stopGraceMs: 1_000, runtime: () => ({ node: stubborn, env: {}, nativeBackends: true, source: 'test' }) });
    const job = await manager.start(workspace(data), { experiment: 'stubborn', overrides: ['training.epochs=2'] });
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await manager.stopAll();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5_000);
    expect(await rec.exited(job.id)).toMatchObject({ state: 'stopped', code: null, signal: 'SIGKILL' });
    // It never recorded its end; the manager did.
    const dir = join(data, 'experiments/stubborn/models', job.run.model);
    expect(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status).toBe('stopped');
  });

  test('a crashing worker: the tail of its stderr is in the failure, the run status and run.log', async () => {
    const rec = recorder();
    const crashing = join(scripts, 'crashing-node');
    const trace = ['noise before the crash', ...Array.from({ length: 12 }, (_, i) => `line ${i}`), 'TypeError: boom', ...Array.from({ length: 10 }, (_, i) => `    at frame${i} (train.js:${i})`)];
    writeFileSync(crashing, `#!/bin/sh\n${trace.map((l) => `echo '${l}' >&2`).join('\n')}\nexit 70\n`, { mode: 0o755 });
    const manager = new RunManager({ emit: rec.emit, runtime: () => ({ node: crashing, env: {}, nativeBackends: true, source: 'test' }) });
    const job = await manager.start(workspace(data), { experiment: 'crash', overrides: ['training.epochs=2'] });
    const exit = await rec.exited(job.id);
    expect(exit).toMatchObject({ state: 'failed', code: 70, error: { code: 'WORKER_FAILED', message: 'training process ended with exit code 70: TypeError: boom' } });
    expect(exit.error?.stderr_tail).toEqual(trace.slice(-20));
    const dir = join(data, 'experiments/crash/models', job.run.model);
    const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8'));
    expect(status).toMatchObject({ status: 'failed', error: { code: 'WORKER_FAILED', stderr_tail: trace.slice(-20) } });
    expect(readFileSync(join(dir, 'logs/run.log'), 'utf8')).toContain('stderr:     at frame9 (train.js:9)');
  });

  test('resume uses the run’s saved runtime.node, and refuses a run another process is training', async () => {
    const rec = recorder();
    const seen: string[] = [];
    const manager = new RunManager({ emit: rec.emit, runtime: (node) => (seen.push(node), { node: process.execPath, env: {}, nativeBackends: true, source: 'test' }) });
    const ws = workspace(data);
    mkdirSync(join(data, 'experiments', 'rt'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'rt', 'config.toml'), `[runtime]\nnode = ${JSON.stringify(process.execPath)}\n`);
    const job = await manager.start(ws, { experiment: 'rt', model: 'saved', overrides: ['training.epochs=100000', 'training.early_stopping.enabled=false', 'training.backend=cpu'] });
    await vi.waitFor(() => expect(manager.state().jobs[0]?.epoch ?? 0).toBeGreaterThanOrEqual(1), { timeout: 60_000 });
    // Running: a second writer is refused, with who holds it.
    await expect(manager.resume(ws, job.run)).rejects.toMatchObject({ code: 'RUN_LOCKED' });
    const other = new RunManager({ emit: rec.emit });
    await expect(other.resume(ws, job.run)).rejects.toMatchObject({ code: 'RUN_LOCKED', message: expect.stringMatching(/in use by pid \d+ on /), details: { pid: expect.any(Number) } });
    manager.stop(job.id);
    await rec.exited(job.id);
    writeFileSync(join(data, 'experiments', 'rt', 'config.toml'), '[runtime]\nnode = "/elsewhere/node"\n');
    seen.length = 0;
    const resumed = await manager.resume(ws, job.run);
    expect(seen).toEqual([process.execPath]);
    manager.stop(resumed.id);
    expect((await rec.exited(resumed.id)).state).toBe('stopped');
  });
});

describe('command runs in the queue', () => {
  test('Stop gives the worker longer than its command\'s grace: a script that ignores SIGTERM is killed and the run ends stopped, not failed', async () => {
    const code = join(data, 'experiments', 'cmdstop', 'code');
    mkdirSync(code, { recursive: true });
    writeFileSync(join(code, 'stubborn.py'), 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("ready", flush=True)\nwhile True:\n    time.sleep(0.1)\n');
    writeFileSync(join(data, 'experiments', 'cmdstop', 'config.toml'), '[command]\ntrain = ["python3", "stubborn.py"]\nstop_grace_seconds = 2\n');
    const rec = recorder();
    // The manager's own grace (0.5 s) is shorter than the command's (2 s): the worker must get more.
    const manager = new RunManager({ emit: rec.emit, stopGraceMs: 500 });
    const job = await manager.start(workspace(data), { experiment: 'cmdstop', model: 's', overrides: [] });
    const log = join(data, 'experiments/cmdstop/models/s/logs/run.log');
    for (let i = 0; i < 300 && !(existsSync(log) && readFileSync(log, 'utf8').includes('ready')); i++) await new Promise((r) => setTimeout(r, 100));
    const stoppedAt = Date.now();
    manager.stop(job.id);
    const exit = await rec.exited(job.id);
    // The script had its full grace (2 s) before SIGKILL, and the worker lived to record the stop.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1900);
    expect(exit.state).toBe('stopped');
    const status = JSON.parse(readFileSync(join(data, 'experiments/cmdstop/models/s/status.json'), 'utf8')) as { status: string };
    expect(status.status).toBe('stopped');
    expect(readFileSync(log, 'utf8')).toContain('killed: it did not end within 2 s of SIGTERM');
  });
});
