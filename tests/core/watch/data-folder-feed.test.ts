import { execFile } from 'node:child_process';
import { mkdirSync, watch, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import type { EventPayloads } from '../../../src/shared/api.js';
import { DataFolderFeed, subscribeDataFolder, type FeedChannel } from '../../../src/core/watch/data-folder-feed.js';
import { DataFolderWatcher, type DataFolderChange } from '../../../src/core/watch/data-folder-watcher.js';
import { repoRoot, tempDataDir } from '../../helpers/data-dir.js';

const run = promisify(execFile);
const writerScript = join(repoRoot, 'tests', 'helpers', 'folder-writer.mjs');

type Op =
  | { op: 'mkdir'; path: string }
  | { op: 'write' | 'append' | 'atomic'; path: string; text: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'rm'; path: string }
  | { op: 'sleep'; ms: number };

/** Writes with a separate process, as the CLI or rsync would. */
async function writer(...ops: Op[]): Promise<void> {
  await run(process.execPath, [writerScript, JSON.stringify(ops)]);
}

type Push = { [E in FeedChannel]: { channel: E; payload: EventPayloads[E] } }[FeedChannel];

const feeds: DataFolderFeed[] = [];
afterEach(() => {
  while (feeds.length) feeds.pop()!.close();
});

async function startFeed(root: string, mode: 'watch' | 'poll' = 'watch'): Promise<{ feed: DataFolderFeed; pushes: Push[] }> {
  const pushes: Push[] = [];
  const feed = new DataFolderFeed(root, { flushMs: 30, watcher: { mode, pollIntervalMs: 100 } });
  feed.add((channel, payload) => pushes.push({ channel, payload } as Push));
  feeds.push(feed);
  await feed.start();
  return { feed, pushes };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lock = JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-12-04T10:00:00.000Z', command: 'expman train' });
const status = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({ status: 'running', pid: process.pid, host: hostname(), started: '2026-12-04T10:00:00.000Z', updated: '2026-12-04T10:00:00.000Z', epoch: 0, epochs: 5, best: null, ...fields });
const epochLine = (epoch: number): string =>
  `${JSON.stringify({ event: 'epoch_end', time: '2026-12-04T10:00:01.000Z', epoch, epochs: 5, duration_ms: 10, samples_per_s: 100, loss: 1 / epoch, accuracy: 0.5, val_loss: 1, val_accuracy: 0.5 })}\n`;

const appended = (pushes: Push[], model: string): Array<EventPayloads['runs:appended']> =>
  pushes.flatMap((p) => (p.channel === 'runs:appended' && p.payload.model === model ? [p.payload] : []));
const epochsOf = (pushes: Push[], model: string): number[] =>
  appended(pushes, model).flatMap((p) => p.events.flatMap((e) => (e.event === 'epoch_end' ? [e.epoch] : [])));
const summaries = (pushes: Push[], model: string): Array<EventPayloads['runs:changed']['runs'][number]> =>
  pushes.flatMap((p) => (p.channel === 'runs:changed' ? p.payload.runs.filter((r) => r.model === model) : []));

for (const mode of ['watch', 'poll'] as const) {
  describe(`data-folder feed (${mode})`, () => {
    test('a run folder created after start by another process is pushed with its events, then its appends and status', async () => {
      const root = tempDataDir(false);
      mkdirSync(join(root, 'experiments'), { recursive: true });
      const { pushes } = await startFeed(root, mode);
      const run = join(root, 'experiments', 'exp1', 'models', 'run-a');
      await writer(
        { op: 'mkdir', path: join(run, 'logs') },
        // A writer holds the run's lock while it writes (this test process stands in for the trainer).
        { op: 'atomic', path: join(run, 'lock.json'), text: lock },
        { op: 'atomic', path: join(run, 'status.json'), text: status() },
        { op: 'append', path: join(run, 'logs', 'metrics.jsonl'), text: epochLine(1) + epochLine(2) },
      );
      await until('experiment pushed', () => pushes.find((p) => p.channel === 'experiments:changed' && p.payload.experiments.some((e) => e.name === 'exp1')));
      const first = await until('run summary', () => summaries(pushes, 'run-a')[0]);
      expect(first).toMatchObject({ experiment: 'exp1', model: 'run-a', status: 'running', live: 'here', pid: process.pid });
      await until('epochs 1-2', () => (epochsOf(pushes, 'run-a').length === 2 ? true : undefined));
      expect(appended(pushes, 'run-a')[0]!.from).toBe(0);

      await writer(
        { op: 'append', path: join(run, 'logs', 'metrics.jsonl'), text: epochLine(3) },
        { op: 'atomic', path: join(run, 'status.json'), text: status({ epoch: 3 }) },
        { op: 'sleep', ms: 80 },
        { op: 'append', path: join(run, 'logs', 'metrics.jsonl'), text: epochLine(4) },
        { op: 'atomic', path: join(run, 'status.json'), text: status({ status: 'finished', epoch: 4 }) },
        { op: 'rm', path: join(run, 'lock.json') },
      );
      await until('finished', () => summaries(pushes, 'run-a').find((s) => s.status === 'finished'));
      await until('epoch 4', () => (epochsOf(pushes, 'run-a').includes(4) ? true : undefined));
      // Each byte is pushed once: offsets chain, no epoch twice.
      expect(epochsOf(pushes, 'run-a')).toEqual([1, 2, 3, 4]);
      const chain = appended(pushes, 'run-a');
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.offset);
      expect(summaries(pushes, 'run-a').at(-1)).toMatchObject({ status: 'finished', epoch: 4, live: null });
      // Temporaries of atomic writes are never reported as anything.
      expect(JSON.stringify(pushes)).not.toContain('.tmp-');
    });

    test('a sweep folder created after start, its trials table and its controller\'s lock are pushed as sweeps:changed', async () => {
      const root = tempDataDir(false);
      mkdirSync(join(root, 'experiments', 'e', 'models'), { recursive: true });
      const { pushes } = await startFeed(root, mode);
      const dir = join(root, 'experiments', 'e', 'sweeps', 'sw');
      const definition = { name: 'sw', experiment: 'e', method: 'grid', metric: 'val_loss', goal: 'minimize', seed: 0, parallel: 1, repeats: 1, seedKey: 'training.seed', budget: { trials: 2 }, parameters: [{ key: 'training.learning_rate', dist: { kind: 'values', values: [0.1, 0.01] } }], fixed: [], pruner: { type: 'none' }, tpe: {} };
      const state = { name: 'sw', experiment: 'e', status: 'running', created: '2026-12-04T10:00:00.000Z', updated: '2026-12-04T10:00:00.000Z', elapsed_s: 0, sampler: { method: 'grid', seed: 0, next_point: 1 } };
      const trial = (status: string, value?: number): Record<string, unknown> => ({ trial: 0, point: 0, repeat: 0, params: { 'training.learning_rate': 0.1 }, run: 'sw-t0000', status, ...(value !== undefined ? { value } : {}) });
      await writer(
        { op: 'mkdir', path: dir },
        { op: 'atomic', path: join(dir, 'definition.json'), text: JSON.stringify(definition) },
        { op: 'atomic', path: join(dir, 'trials.json'), text: JSON.stringify([trial('running')]) },
        { op: 'atomic', path: join(dir, 'lock.json'), text: lock },
        { op: 'atomic', path: join(dir, 'state.json'), text: JSON.stringify(state) },
      );
      const sweeps = (): Array<EventPayloads['sweeps:changed']['sweeps'][number]> => pushes.flatMap((p) => (p.channel === 'sweeps:changed' ? p.payload.sweeps : []));
      const first = await until('the sweep', () => sweeps().find((d) => d.trials[0]?.status === 'running'));
      expect(first.summary).toMatchObject({ experiment: 'e', name: 'sw', status: 'running', live: true, trials: 1 });
      // The controller records a trial's end, then ends (its lock goes): each is pushed, with the data.
      await writer({ op: 'atomic', path: join(dir, 'trials.json'), text: JSON.stringify([trial('finished', 0.25)]) });
      await until('the trial finished', () => sweeps().find((d) => d.trials[0]?.status === 'finished' && d.summary.best?.value === 0.25));
      await writer({ op: 'atomic', path: join(dir, 'state.json'), text: JSON.stringify({ ...state, status: 'stopped' }) }, { op: 'rm', path: join(dir, 'lock.json') });
      await until('the controller gone', () => sweeps().find((d) => !d.summary.live && d.summary.status === 'stopped'));
    });

    test('a torn last line is held back until its writer completes it', async () => {
      const root = tempDataDir(false);
      const run = join(root, 'experiments', 'e', 'models', 'torn');
      mkdirSync(join(run, 'logs'), { recursive: true });
      writeFileSync(join(run, 'status.json'), status());
      writeFileSync(join(run, 'logs', 'metrics.jsonl'), epochLine(1));
      const { pushes } = await startFeed(root, mode);
      const line = epochLine(2);
      await writer({ op: 'append', path: join(run, 'logs', 'metrics.jsonl'), text: line.slice(0, 40) });
      await new Promise((r) => setTimeout(r, mode === 'poll' ? 400 : 300));
      expect(epochsOf(pushes, 'torn')).toEqual([]);
      await writer({ op: 'append', path: join(run, 'logs', 'metrics.jsonl'), text: line.slice(40) + epochLine(3) });
      await until('completed lines', () => (epochsOf(pushes, 'torn').length === 2 ? true : undefined));
      // Epoch 1 existed before the feed started: clients read it with runs:metrics; only what is new is pushed.
      expect(epochsOf(pushes, 'torn')).toEqual([2, 3]);
      expect(appended(pushes, 'torn')[0]!.from).toBe(Buffer.byteLength(epochLine(1)));
    });

    test('deletion of a run and of an experiment is pushed; a replaced metrics file is read from the start', async () => {
      const root = tempDataDir(false);
      for (const model of ['keep', 'gone']) {
        const run = join(root, 'experiments', 'e', 'models', model);
        mkdirSync(join(run, 'logs'), { recursive: true });
        writeFileSync(join(run, 'status.json'), status({ status: 'finished', epoch: 5 }));
        writeFileSync(join(run, 'logs', 'metrics.jsonl'), epochLine(1) + epochLine(2));
      }
      mkdirSync(join(root, 'experiments', 'other', 'models', 'x'), { recursive: true });
      writeFileSync(join(root, 'experiments', 'other', 'models', 'x', 'status.json'), status({ status: 'finished' }));
      const { pushes } = await startFeed(root, mode);
      const keep = join(root, 'experiments', 'e', 'models', 'keep');
      await writer(
        { op: 'rm', path: join(root, 'experiments', 'e', 'models', 'gone') },
        { op: 'write', path: join(keep, 'logs', 'new.jsonl'), text: epochLine(1) },
        { op: 'rename', from: join(keep, 'logs', 'new.jsonl'), to: join(keep, 'logs', 'metrics.jsonl') },
      );
      await until('run removed', () => pushes.find((p) => p.channel === 'runs:removed' && p.payload.runs.some((r) => r.model === 'gone')));
      const replaced = await until('replaced file', () => appended(pushes, 'keep')[0]);
      expect(replaced).toMatchObject({ from: 0 });
      expect(replaced.events.map((e) => e.event)).toEqual(['epoch_end']);

      await writer({ op: 'rm', path: join(root, 'experiments', 'other') });
      await until('experiment removed', () => pushes.find((p) => p.channel === 'experiments:removed' && p.payload.experiments.includes('other')));
      await until('its run removed', () => pushes.find((p) => p.channel === 'runs:removed' && p.payload.runs.some((r) => r.model === 'x')));
    });

    test('experiment configs and datasets changing are pushed with their content', async () => {
      const root = tempDataDir(false);
      mkdirSync(join(root, 'experiments', 'e'), { recursive: true });
      const { pushes } = await startFeed(root, mode);
      await writer({ op: 'atomic', path: join(root, 'experiments', 'e', 'config.toml'), text: '[training]\nepochs = 3\n' });
      const config = await until('config', () => pushes.find((p) => p.channel === 'config:changed'));
      expect(config.payload).toMatchObject({ experiment: 'e', config: { exists: true, text: '[training]\nepochs = 3\n' } });
      await until('hasConfig', () => pushes.find((p) => p.channel === 'experiments:changed' && p.payload.experiments.some((x) => x.name === 'e' && x.hasConfig)));

      await writer({ op: 'write', path: join(root, 'datasets', 'external', 'flowers.csv'), text: 'a,b\n1,2\n' });
      const datasets = await until('datasets', () => pushes.findLast((p) => p.channel === 'datasets:changed' && p.payload.datasets.some((d) => d.name === 'flowers')));
      expect(datasets.channel).toBe('datasets:changed');
    });

    test('a run on another host reads as running elsewhere', async () => {
      const root = tempDataDir(false);
      mkdirSync(join(root, 'experiments'), { recursive: true });
      const { pushes } = await startFeed(root, mode);
      await writer({ op: 'atomic', path: join(root, 'experiments', 'e', 'models', 'slurm', 'status.json'), text: status({ host: 'gpu-node-7', pid: 4242 }) });
      const summary = await until('summary', () => summaries(pushes, 'slurm')[0]);
      expect(summary).toMatchObject({ status: 'running', live: 'elsewhere', host: 'gpu-node-7', pid: 4242 });
    });
  });
}

describe('data-folder watcher', () => {
  test('when the system refuses a watch (ENOSPC) it logs one line and polls, still seeing changes', async () => {
    const root = tempDataDir(false);
    mkdirSync(join(root, 'experiments'), { recursive: true });
    const lines: string[] = [];
    const changes: DataFolderChange[] = [];
    let calls = 0;
    const watcher = new DataFolderWatcher(root, (c) => changes.push(...c), {
      pollIntervalMs: 100,
      log: (line) => lines.push(line),
      watchFn: () => {
        calls++;
        throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      },
    });
    try {
      await watcher.start();
      expect(watcher.mode).toBe('poll');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refused a file watch \(ENOSPC\).*polling/);
      await writer({ op: 'atomic', path: join(root, 'experiments', 'e', 'models', 'm', 'status.json'), text: status() });
      await until('run seen by polling', () => changes.find((c) => c.kind === 'run' && c.model === 'm'));
      expect(calls).toBe(1); // no more watch attempts once polling
      expect(lines).toHaveLength(1);
    } finally {
      watcher.close();
    }
  });

  test('a run folder appended to continuously is polled instead of watched while busy, and watched again when quiet', async () => {
    const root = tempDataDir(false);
    const logs = join(root, 'experiments', 'e', 'models', 'busy', 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'metrics.jsonl'), '');
    const open = new Set<string>();
    let metricsChanges = 0;
    const watcher = new DataFolderWatcher(root, (c) => (metricsChanges += c.filter((x) => x.kind === 'metrics').length), {
      coalesceMs: 30,
      hotPollMs: 30,
      hotAfter: 2,
      quietPolls: 3,
      watchFn: (dir, listener) => {
        const w = watch(dir, { persistent: false }, listener);
        open.add(dir);
        const close = w.close.bind(w);
        w.close = () => (open.delete(dir), close());
        return w;
      },
    });
    try {
      await watcher.start();
      expect(open.has(logs)).toBe(true);
      const appends: Op[] = [];
      for (let i = 1; i <= 30; i++) appends.push({ op: 'append', path: join(logs, 'metrics.jsonl'), text: epochLine(i) }, { op: 'sleep', ms: 15 });
      const writing = writer(...appends);
      await until('hot: polled, not watched', () => (!open.has(logs) ? true : undefined));
      await writing;
      const during = metricsChanges;
      expect(during).toBeGreaterThan(1);
      await until('quiet: watched again', () => (open.has(logs) ? true : undefined));
      await writer({ op: 'append', path: join(logs, 'metrics.jsonl'), text: epochLine(31) });
      await until('append seen by the watch', () => (metricsChanges > during ? true : undefined));
    } finally {
      watcher.close();
    }
    expect(open.size).toBe(0);
  });

  test('one feed per data folder however many subscribers; closed with the last', async () => {
    const root = tempDataDir(false);
    mkdirSync(join(root, 'experiments'), { recursive: true });
    const a: string[] = [];
    const b: string[] = [];
    const first = subscribeDataFolder(root, (channel) => a.push(channel), { flushMs: 30 });
    const second = subscribeDataFolder(`${root}/`, (channel) => b.push(channel), { flushMs: 30 });
    expect(second.feed).toBe(first.feed);
    await first.ready;
    await writer({ op: 'mkdir', path: join(root, 'experiments', 'one') });
    await until('both told', () => (a.includes('experiments:changed') && b.includes('experiments:changed') ? true : undefined));
    first.unsubscribe();
    await writer({ op: 'mkdir', path: join(root, 'experiments', 'two') });
    await until('second told', () => (b.filter((c) => c === 'experiments:changed').length === 2 ? true : undefined));
    expect(a.filter((c) => c === 'experiments:changed')).toHaveLength(1);
    second.unsubscribe();
    const third = subscribeDataFolder(root, () => undefined);
    expect(third.feed).not.toBe(first.feed);
    third.unsubscribe();
  });
});
