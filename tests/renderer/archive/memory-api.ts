/**
 * An in-memory backend for the archive and sync dialogs: the real methods of the API contract over a
 * small in-memory data folder and in-memory sync targets, with `progress` events sent through the same
 * listeners the app uses. Long tasks stay pending until the test moves them on (`progress`, `complete`),
 * so every state of a dialog can be observed; `tasks:cancel` ends them with CANCELLED as the core does.
 */
import { ApiError, type ApiErrorDto, type AppInfo, type EventPayloads, type ExpmanApi, type JobsState, type Unsubscribe } from '../../../src/shared/api';
import type { AppCommand, ArchiveFormat, ArchiveResultDto, SyncDestination, SyncItemDto, SyncProtectedRunDto, SyncResultDto } from '../../../src/shared/archive-sync';
import type { RunTable } from '../../../src/shared/run-table';
import type { ExperimentSummary, RunSummary } from '../../../src/shared/runs';

/** Path → size in bytes. */
export type Tree = Map<string, number>;

interface PendingTask {
  kind: 'archive' | 'sync';
  total: number;
  resolve: () => void;
  reject: (error: ApiError) => void;
}

type Listeners = { [E in keyof EventPayloads]: Set<(payload: EventPayloads[E]) => void> };

export interface MemoryApiOptions {
  files?: Record<string, number>;
  osIntegration?: boolean;
  /** Sync targets that exist: a local folder or host:path, each with its own tree. */
  targets?: Record<string, Record<string, number>>;
  /** Runs the experiments list reports (their experiments are listed even without files). */
  runs?: RunSummary[];
  /** runs:table answers by experiment (config and metric columns); default: the runs without columns. */
  tables?: Record<string, RunTable>;
}

export class MemoryApi {
  readonly files: Tree;
  readonly targets = new Map<string, Tree>();
  destinations: SyncDestination[] = [];
  /** Run folders the receiving side reports as live: left out of every sync, and returned as protectedRuns. */
  protectedRuns: SyncProtectedRunDto[] = [];
  /** What the desktop save dialog answers: a path, or null when the user cancels it. */
  saveAs: string | null = '/home/ada/expman-data-20260126-143005.tar.gz';
  /** Make the next call of this method fail with this error (then behave normally again). */
  failNext = new Map<string, ApiErrorDto>();
  readonly calls: Array<{ method: string; request: unknown }> = [];
  readonly osIntegration: boolean;
  readonly runs: RunSummary[];
  readonly tables: Record<string, RunTable>;
  private readonly tasks = new Map<string, PendingTask>();
  private readonly listeners: Listeners = {
    'runs:event': new Set(),
    'log:lines': new Set(),
    'jobs:changed': new Set(),
    'runs:exited': new Set(),
    'logs:changed': new Set(),
    progress: new Set(),
    'app:command': new Set(),
    'workspace:changed': new Set(),
    'runs:changed': new Set(),
    'runs:removed': new Set(),
    'runs:appended': new Set(),
    'experiments:changed': new Set(),
    'experiments:removed': new Set(),
    'config:changed': new Set(),
    'connection:restored': new Set(),
    'datasets:changed': new Set(),
    'sweeps:changed': new Set(),
  };

  constructor(options: MemoryApiOptions = {}) {
    this.files = new Map(Object.entries(options.files ?? {}));
    this.osIntegration = options.osIntegration ?? true;
    this.runs = options.runs ?? [];
    this.tables = options.tables ?? {};
    for (const [target, tree] of Object.entries(options.targets ?? {})) this.targets.set(target, new Map(Object.entries(tree)));
  }

  /** Ids of the tasks still running, oldest first. */
  running(): string[] {
    return [...this.tasks.keys()];
  }

  /** The backend reports progress of a running task. */
  progress(taskId: string, done: number, phase?: string): void {
    const task = this.mustTask(taskId);
    this.emit('progress', { taskId, phase: phase ?? (task.kind === 'archive' ? 'archiving' : 'syncing'), done, total: task.total, unit: 'bytes' });
  }

  /** The running task finishes and its call resolves. */
  complete(taskId: string): void {
    const task = this.mustTask(taskId);
    this.tasks.delete(taskId);
    task.resolve();
  }

  /** The desktop menu sends File → Archive Data… or Sync Data…. */
  command(command: AppCommand): void {
    this.emit('app:command', { command });
  }

  /** The browser transport came back after a dropped connection. */
  restoreConnection(): void {
    this.emit('connection:restored', {});
  }

  listenerCount(event: keyof EventPayloads): number {
    return this.listeners[event].size;
  }

  asApi(): ExpmanApi {
    const on =
      <E extends keyof EventPayloads>(event: E) =>
      (listener: (payload: EventPayloads[E]) => void): Unsubscribe => {
        const set = this.listeners[event] as Set<(payload: EventPayloads[E]) => void>;
        set.add(listener);
        return () => set.delete(listener);
      };
    const methods = {
      appInfo: async (): Promise<AppInfo> => ({
        version: '0.0.0-test',
        transport: this.osIntegration ? 'electron' : 'browser',
        dataDir: '/home/ada/data',
        platform: 'linux',
        worker: { source: 'test', nativeBackends: false },
        osIntegration: this.osIntegration,
      }),
      workspaceFocus: async () => ({ dataDir: '/home/ada/data' }),
      experimentsList: async (): Promise<ExperimentSummary[]> => this.experiments(),
      jobsList: async (): Promise<JobsState> => ({ jobs: [], concurrency: 1 }),
      targetsList: async () => [],
      runsTable: (request: { experiment: string }) =>
        this.call('runsTable', request, async (): Promise<RunTable> => this.tables[request.experiment] ?? { experiment: request.experiment, runs: [], columns: [] }),
      archiveCreate: (request: { taskId: string; format?: ArchiveFormat; excludeCheckpoints?: boolean; only?: string[] }) => this.call('archiveCreate', request, () => this.archive(request)),
      syncDestinations: (request: object) => this.call('syncDestinations', request, async () => [...this.destinations]),
      syncSaveDestination: (request: { destination: SyncDestination }) =>
        this.call('syncSaveDestination', request, async () => {
          this.destinations = [...this.destinations.filter((d) => d.name !== request.destination.name), request.destination].sort((a, b) => a.name.localeCompare(b.name));
          return [...this.destinations];
        }),
      syncRemoveDestination: (request: { name: string }) =>
        this.call('syncRemoveDestination', request, async () => {
          if (!this.destinations.some((d) => d.name === request.name)) throw new ApiError({ code: 'NOT_FOUND', message: `no saved destination named ${request.name}` });
          this.destinations = this.destinations.filter((d) => d.name !== request.name);
          return [...this.destinations];
        }),
      syncRun: (request: SyncRequest) => this.call('syncRun', request, () => this.sync(request)),
      tasksCancel: (request: { taskId: string }) =>
        this.call('tasksCancel', request, async () => {
          const task = this.tasks.get(request.taskId);
          if (!task) return { cancelled: false };
          this.tasks.delete(request.taskId);
          task.reject(new ApiError({ code: 'CANCELLED', message: 'cancelled' }));
          return { cancelled: true };
        }),
      onProgress: on('progress'),
      onAppCommand: on('app:command'),
      onJobsChanged: on('jobs:changed'),
      onRunsExited: on('runs:exited'),
      onRunsEvent: on('runs:event'),
      onWorkspaceChanged: on('workspace:changed'),
      onRunsChanged: on('runs:changed'),
      onRunsRemoved: on('runs:removed'),
      onExperimentsChanged: on('experiments:changed'),
      onExperimentsRemoved: on('experiments:removed'),
      onConnectionRestored: on('connection:restored'),
    };
    // Calls the dialogs never make are absent on purpose: using one would fail loudly, not fake a value.
    return methods as unknown as ExpmanApi;
  }

  private emit<E extends keyof EventPayloads>(event: E, payload: EventPayloads[E]): void {
    for (const listener of [...this.listeners[event]]) listener(payload);
  }

  private async call<T>(method: string, request: unknown, work: () => Promise<T>): Promise<T> {
    this.calls.push({ method, request });
    const failure = this.failNext.get(method);
    if (failure) {
      this.failNext.delete(method);
      throw new ApiError(failure);
    }
    return work();
  }

  private mustTask(taskId: string): PendingTask {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`no running task ${taskId}`);
    return task;
  }

  private experiments(): ExperimentSummary[] {
    const names = new Set<string>();
    for (const path of this.files.keys()) {
      const match = /^experiments\/([^/]+)\//.exec(path);
      if (match) names.add(match[1]!);
    }
    for (const run of this.runs) names.add(run.experiment);
    return [...names].sort().map((name) => ({ name, hasConfig: this.files.has(`experiments/${name}/config.toml`), runs: this.runs.filter((run) => run.experiment === name) }));
  }

  /** Runs until `complete` (or cancel), like the core: the call settles only when the task ends. */
  private start<T>(taskId: string, kind: PendingTask['kind'], total: number, finish: () => T): Promise<T> {
    if (this.tasks.has(taskId)) throw new ApiError({ code: 'CONFLICT', message: `task ${taskId} is already running` });
    return new Promise<T>((resolve, reject) => {
      this.tasks.set(taskId, { kind, total, resolve: () => resolve(finish()), reject });
    });
  }

  private async archive(request: { taskId: string; format?: ArchiveFormat; excludeCheckpoints?: boolean; only?: string[] }): Promise<ArchiveResultDto> {
    if (!this.osIntegration) {
      throw new ApiError({ code: 'UNSUPPORTED', message: 'archives are written on the machine that runs expman ui: run `expman archive` there (see expman archive --help)' });
    }
    const file = this.saveAs;
    if (file === null) throw new ApiError({ code: 'CANCELLED', message: 'the save dialog was cancelled' });
    const only = request.only ?? [];
    const inScope = [...this.files].filter(
      ([path]) => (only.length === 0 || only.some((prefix) => path.startsWith(`${prefix}/`))) && !(request.excludeCheckpoints && path.includes('/checkpoints/')),
    );
    // As the core does: temporary files (a checkpoint being written) are skipped; a run with a live
    // marker is reported as training while archived.
    const skipped = inScope.filter(([path]) => /(^|\/)\.tmp-/.test(path)).map(([path]) => ({ path, reason: 'temporary file (being written)' }));
    const chosen = inScope.filter(([path]) => !skipped.some((s) => s.path === path));
    const liveRuns = chosen
      .map(([path]) => /^experiments\/([^/]+)\/models\/([^/]+)\/\.live$/.exec(path))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ experiment: m[1]!, model: m[2]!, path: `experiments/${m[1]}/models/${m[2]}`, pid: 4242, host: 'lab-gpu', updated: '2026-01-26T14:30:00Z' }));
    const bytes = chosen.reduce((sum, [, size]) => sum + size, 0);
    const started = Date.now();
    return this.start(request.taskId, 'archive', bytes, () => ({
      file,
      files: chosen.length,
      links: 0,
      bytes,
      archiveBytes: Math.ceil(bytes / 4),
      format: request.format ?? 'gz',
      liveRuns,
      skipped,
      seconds: (Date.now() - started) / 1000,
    }));
  }

  private async sync(request: SyncRequest): Promise<SyncResultDto> {
    const remote = this.targets.get(request.target);
    if (!remote) {
      const host = /^(?:[^@/]+@)?([^:/]+):/.exec(request.target)?.[1];
      if (host) throw new ApiError({ code: 'SYNC_UNREACHABLE', message: `cannot reach ${host}: ssh: Could not resolve hostname ${host}` });
      throw new ApiError({ code: 'SYNC_FAILED', message: `rsync: change_dir "${request.target}" failed: No such file or directory (exit 23)` });
    }
    const [from, to] = request.direction === 'push' ? [this.files, remote] : [remote, this.files];
    const items: SyncItemDto[] = [];
    const live = (path: string) => this.protectedRuns.some((run) => path.startsWith(`${run.path}/`));
    for (const [path, size] of [...from].sort()) {
      if (live(path)) continue;
      if (request.excludeCheckpoints && path.includes('/checkpoints/')) continue;
      // As rsync itemizes a copy between local folders: the local side receives ('>'), whichever the direction.
      if (to.get(path) !== size) items.push({ change: 'receive', type: 'file', path, code: '>f+++++++++' });
    }
    if (request.delete) for (const path of [...to.keys()].sort()) if (!from.has(path) && !live(path)) items.push({ change: 'delete', type: 'file', path, code: '*deleting' });
    const totalSize = [...from.values()].reduce((sum, size) => sum + size, 0);
    const transferredSize = items.filter((i) => i.change !== 'delete').reduce((sum, i) => sum + from.get(i.path)!, 0);
    const result = (seconds: number): SyncResultDto => ({
      direction: request.direction,
      source: request.direction === 'push' ? '/home/ada/data/' : `${request.target}/`,
      destination: request.direction === 'push' ? request.target : '/home/ada/data',
      dryRun: request.dryRun,
      items,
      summary: {
        files: from.size,
        filesTransferred: items.filter((i) => i.change !== 'delete').length,
        filesDeleted: items.filter((i) => i.change === 'delete').length,
        totalSize,
        transferredSize,
        bytesSent: request.dryRun ? 0 : transferredSize + 100,
        bytesReceived: request.dryRun ? 0 : 50,
        bytesPerSecond: request.dryRun ? 0 : transferredSize / Math.max(seconds, 0.001),
      },
      seconds,
      command: ['rsync', '-a', '--partial-dir=.tmp-rsync-partial', ...(request.dryRun ? ['--dry-run'] : [])],
      protectedRuns: this.protectedRuns,
    });
    if (request.dryRun) return result(0.05);
    return this.start(request.taskId, 'sync', transferredSize, () => {
      for (const item of items) {
        if (item.change === 'delete') to.delete(item.path);
        else to.set(item.path, from.get(item.path)!);
      }
      return result(2);
    });
  }
}

interface SyncRequest {
  taskId: string;
  target: string;
  direction: 'push' | 'pull';
  dryRun: boolean;
  delete?: boolean;
  excludeCheckpoints?: boolean;
}
