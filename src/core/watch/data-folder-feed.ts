import { promises as fs } from 'node:fs';
import type { EventPayloads } from '../../shared/api.js';
import type { RunRef, RunSummary } from '../../shared/runs.js';
import { readExperimentConfig } from '../config/experiment-config.js';
import { listDatasets } from '../datasets/browse.js';
import { readEventTail } from '../runs/event-tail.js';
import { sweepDetail } from '../sweeps/sweeps.js';
import { listRuns, readRunSummary } from '../training/run-store.js';
import { exists, paths, runFiles, workspace, type Workspace } from '../workspace.js';
import { DataFolderWatcher, type DataFolderChange, type DataFolderWatcherOptions } from './data-folder-watcher.js';

/** The pushes the feed sends: the data itself, so clients fold it into what they show (no pulls). */
export type FeedChannel = 'runs:changed' | 'runs:removed' | 'runs:appended' | 'experiments:changed' | 'experiments:removed' | 'config:changed' | 'datasets:changed' | 'sweeps:changed';
export type FeedEmit = <E extends FeedChannel>(channel: E, payload: EventPayloads[E]) => void;

export interface DataFolderFeedOptions {
  /** Pushes go out at most this often (default 400 ms): one batch of run summaries per flush. */
  flushMs?: number;
  watcher?: DataFolderWatcherOptions;
  onError?: (error: unknown) => void;
}

/** How soon a new run or experiment is pushed: membership is what a user waits for. */
const URGENT_FLUSH_MS = 50;

const keyOf = (experiment: string, model: string): string => `${experiment}/${model}`;
const refOf = (key: string): RunRef => {
  const slash = key.indexOf('/');
  return { experiment: key.slice(0, slash), model: key.slice(slash + 1) };
};

/**
 * Turns a data folder's changes into pushes: new and updated run summaries (`runs:changed`), removed runs,
 * the events appended to each run's metrics.jsonl since the last push (`runs:appended`, tailed from the last
 * byte offset), experiments appearing and going, config files changed, the dataset list. Changes are
 * collected and sent once per `flushMs`, so a folder of 50 busy runs costs a few pushes a second.
 */
export class DataFolderFeed {
  private readonly ws: Workspace;
  private readonly watcher: DataFolderWatcher;
  private readonly listeners = new Set<FeedEmit>();
  private readonly flushMs: number;
  /** Last summary pushed (or listed at start) per run, as JSON: unchanged status writes push nothing. */
  private readonly runs = new Map<string, string>();
  /** metrics.jsonl read so far, per run. */
  private readonly offsets = new Map<string, number>();
  private readonly pendingRuns = new Set<string>();
  private readonly pendingMetrics = new Set<string>();
  private readonly pendingExperiments = new Set<string>();
  private readonly pendingConfigs = new Set<string>();
  /** Sweeps (`experiment/name`) whose folder changed. */
  private readonly pendingSweeps = new Set<string>();
  private pendingDatasets = false;
  private timer: NodeJS.Timeout | undefined;
  private due = 0;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    root: string,
    private readonly options: DataFolderFeedOptions = {},
  ) {
    this.ws = workspace(root);
    this.flushMs = options.flushMs ?? 500;
    this.watcher = new DataFolderWatcher(this.ws.root, (changes) => this.collect(changes), options.watcher);
  }

  get mode(): DataFolderWatcher['mode'] {
    return this.watcher.mode;
  }

  add(listener: FeedEmit): void {
    this.listeners.add(listener);
  }

  remove(listener: FeedEmit): number {
    this.listeners.delete(listener);
    return this.listeners.size;
  }

  /**
   * Remembers what exists now (clients list it with their first pulls) and where each metrics file ends, then
   * starts watching: from here on, only what changes is pushed.
   */
  async start(): Promise<void> {
    const runs = await listRuns(this.ws);
    await Promise.all(
      runs.map(async (run) => {
        const key = keyOf(run.experiment, run.model);
        this.runs.set(key, JSON.stringify(run));
        const size = await fs.stat(runFiles.metrics(run.dir)).then((s) => s.size, () => 0);
        this.offsets.set(key, size);
      }),
    );
    await this.watcher.start();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher.close();
  }

  private collect(changes: DataFolderChange[]): void {
    // Membership (a new run or experiment) goes out at once; progress of known runs once per flushMs.
    let urgent = false;
    for (const change of changes) {
      switch (change.kind) {
        case 'run': {
          const key = keyOf(change.experiment, change.model);
          if (!this.runs.has(key)) urgent = true;
          this.pendingRuns.add(key);
          break;
        }
        case 'metrics':
          this.pendingMetrics.add(keyOf(change.experiment, change.model));
          break;
        case 'experiment':
          urgent = true;
          this.pendingExperiments.add(change.experiment);
          break;
        case 'config':
          this.pendingExperiments.add(change.experiment); // hasConfig may have changed
          this.pendingConfigs.add(change.experiment);
          break;
        case 'datasets':
          this.pendingDatasets = true;
          break;
        case 'sweep':
          this.pendingSweeps.add(keyOf(change.experiment, change.name));
          break;
      }
    }
    this.schedule(urgent ? URGENT_FLUSH_MS : this.flushMs);
  }

  /** Flushes in `delay` ms, or sooner if already due sooner; never two flushes at once. */
  private schedule(delay: number): void {
    if (this.closed || !this.hasPending()) return;
    const due = Date.now() + delay;
    if (this.timer !== undefined) {
      if (this.flushing || this.due <= due) return;
      clearTimeout(this.timer);
    }
    this.due = due;
    this.timer = setTimeout(() => {
      this.flushing = this.flush()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.timer = undefined;
          this.flushing = undefined;
          // Changes that came during the flush go out on the next one.
          this.schedule(this.flushMs);
        });
    }, delay);
  }

  private hasPending(): boolean {
    return this.pendingRuns.size + this.pendingMetrics.size + this.pendingExperiments.size + this.pendingConfigs.size + this.pendingSweeps.size > 0 || this.pendingDatasets;
  }

  private emit: FeedEmit = (channel, payload) => {
    if (this.closed) return;
    for (const listener of this.listeners) listener(channel, payload);
  };

  private async flush(): Promise<void> {
    const experiments = [...this.pendingExperiments];
    const configs = [...this.pendingConfigs];
    const runKeys = [...this.pendingRuns];
    const metricKeys = [...this.pendingMetrics];
    const datasets = this.pendingDatasets;
    const sweepKeys = [...this.pendingSweeps];
    this.pendingSweeps.clear();
    this.pendingExperiments.clear();
    this.pendingConfigs.clear();
    this.pendingRuns.clear();
    this.pendingMetrics.clear();
    this.pendingDatasets = false;

    // Membership first, so a client knows the experiment before its runs arrive.
    if (experiments.length) {
      const present: Array<{ name: string; hasConfig: boolean }> = [];
      const gone: string[] = [];
      for (const name of experiments) {
        if (await exists(paths.experimentDir(this.ws, name))) present.push({ name, hasConfig: await exists(paths.experimentConfig(this.ws, name)) });
        else gone.push(name);
      }
      if (present.length) this.emit('experiments:changed', { experiments: present });
      if (gone.length) this.emit('experiments:removed', { experiments: gone });
    }

    const changed: RunSummary[] = [];
    const removed: RunRef[] = [];
    // Read in parallel (the file system's latency, not its work, dominates), applied in order.
    const summaries = await Promise.all(runKeys.map((key) => readRunSummary(this.ws, refOf(key).experiment, refOf(key).model)));
    for (const [i, key] of runKeys.entries()) {
      const { experiment, model } = refOf(key);
      const summary = summaries[i];
      if (summary) {
        const json = JSON.stringify(summary);
        if (this.runs.get(key) === json) continue;
        if (!this.runs.has(key) && !this.offsets.has(key)) this.offsets.set(key, 0); // a new run: its events from the start
        this.runs.set(key, json);
        changed.push(summary);
      } else if (this.runs.delete(key)) {
        this.offsets.delete(key);
        removed.push({ experiment, model });
      }
    }
    // Summaries first: a new run is what a user waits for; its events (maybe a whole file) follow.
    if (changed.length) this.emit('runs:changed', { runs: changed });
    if (removed.length) this.emit('runs:removed', { runs: removed });
    const tails = await Promise.all(
      metricKeys.map((key) => readEventTail(runFiles.metrics(paths.modelDir(this.ws, refOf(key).experiment, refOf(key).model)), this.offsets.get(key) ?? 0)),
    );
    for (const [i, key] of metricKeys.entries()) {
      const { experiment, model } = refOf(key);
      const tail = tails[i];
      if (!tail) {
        this.offsets.delete(key);
        continue;
      }
      this.offsets.set(key, tail.offset);
      if (tail.events.length) this.emit('runs:appended', { experiment, model, events: tail.events, from: tail.from, offset: tail.offset });
    }

    for (const experiment of configs) {
      try {
        this.emit('config:changed', { experiment, config: await readExperimentConfig(this.ws, experiment) });
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    if (datasets) this.emit('datasets:changed', { datasets: await listDatasets(this.ws) });

    // After the runs: a view that shows a sweep's trials has their summaries by the time the table names them.
    // A sweep folder being created (no state.json yet) or removed has nothing to show.
    const sweeps = await Promise.all(sweepKeys.map((key) => sweepDetail(this.ws, refOf(key).experiment, refOf(key).model).catch(() => null)));
    const present = sweeps.filter((d) => d !== null);
    if (present.length) this.emit('sweeps:changed', { sweeps: present });
  }
}

interface Shared {
  feed: DataFolderFeed;
  ready: Promise<void>;
}
const shared = new Map<string, Shared>();

/**
 * Follows a data folder: one watcher (and one feed) per folder in this process, however many clients,
 * started with the first subscriber and closed with the last. Returns the unsubscribe function.
 */
export function subscribeDataFolder(root: string, listener: FeedEmit, options: DataFolderFeedOptions = {}): { ready: Promise<void>; feed: DataFolderFeed; unsubscribe: () => void } {
  const key = workspace(root).root;
  let entry = shared.get(key);
  if (!entry) {
    const feed = new DataFolderFeed(key, options);
    const ready = feed.start().catch((error: unknown) => options.onError?.(error));
    entry = { feed, ready };
    shared.set(key, entry);
  }
  const current = entry;
  current.feed.add(listener);
  let subscribed = true;
  return {
    ready: current.ready,
    feed: current.feed,
    unsubscribe: () => {
      if (!subscribed) return;
      subscribed = false;
      if (current.feed.remove(listener) === 0) {
        current.feed.close();
        if (shared.get(key) === current) shared.delete(key);
      }
    },
  };
}
