import { platform } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { AppInfo, WorkspaceFocus } from '../../shared/api.js';
import type { ExperimentSummary } from '../../shared/runs.js';
import { ExpmanError } from '../errors.js';
import { runCliTask } from '../jobs/cli-task.js';
import { RunManager, type Emit } from '../jobs/run-manager.js';
import { readRunConfig } from '../training/run-folder.js';
import { listExperiments, listRuns } from '../training/run-store.js';
import { resolveWorkerRuntime } from '../training/worker-runtime.js';
import { toolVersion } from '../version.js';
import { DEFAULT_EXPERIMENT, exists, paths, runFiles, workspace, type Workspace } from '../workspace.js';
import { createDispatcher, type Caller, type Dispatch, type Handlers } from './dispatch.js';
import { runDetail, runMetrics } from './run-details.js';
import { removeConfigValue, setConfigValue } from '../config/edit.js';
import { readExperimentConfig, saveExperimentConfig, validateConfigText } from '../config/experiment-config.js';
import { configSchemaDto } from '../config/schema-dto.js';
import { listDatasets, preparedDatasetSummary, readDatasetPage } from '../datasets/browse.js';
import { preprocess } from '../datasets/preprocess.js';
import { datasetStats } from '../datasets/stats.js';
import { PREPROCESS_DEFAULTS } from '../../shared/datasets.js';
import { LogFollows } from '../logs/log-follows.js';
import { LogRegistry } from '../logs/log-registry.js';
import type { ArchiveResultDto } from '../../shared/archive-sync.js';
import { createArchive, defaultArchiveName } from '../archive/create.js';
import { syncData } from '../sync/sync.js';
import { SyncDestinationStore, settingsDir } from './sync-destinations.js';
import { subscribeDataFolder } from '../watch/data-folder-feed.js';
import { watchModeFromEnv, type DataFolderWatcherOptions } from '../watch/data-folder-watcher.js';

/** What only a desktop shell can do; absent in the browser transport, where such calls are UNSUPPORTED. */
export interface OsIntegration {
  /** Shows an absolute path (inside the data folder) in the system file manager. */
  reveal(path: string): Promise<void>;
  /** The system's save dialog for a new archive; undefined when the user cancels it. */
  chooseArchivePath(defaultName: string): Promise<string | undefined>;
  /** Tells the user an archive is ready (a notification that can reveal it). */
  archiveDone(result: ArchiveResultDto): void;
}

export interface BackendOptions {
  focus: WorkspaceFocus;
  transport: AppInfo['transport'];
  emit: Emit;
  os?: OsIntegration;
  runManager?: RunManager;
  /**
   * How dataset statistics are computed: 'auto' uses danfojs for small files. The desktop app passes
   * 'stream' (same figures, no tfjs in Electron's process, where native addons are not allowed).
   */
  statsEngine?: 'auto' | 'stream';
  /** Saved sync destinations; default: ~/.config/expman/sync-destinations.json. */
  syncDestinationsFile?: string;
  onInternalError?: (channel: string, error: unknown) => void;
  /** Notable events worth a line in the app log (the data-folder watcher falling back to polling). */
  log?: (line: string) => void;
  /** How the data folder is watched; default: fs.watch, polling if refused, or EXPMAN_WATCH=poll|watch. */
  watch?: DataFolderWatcherOptions;
}

export interface Backend {
  dispatch: Dispatch;
  handlers: Handlers;
  runs: RunManager;
  focus(): WorkspaceFocus;
  /** Switches to another data folder (jobs already running keep running and reporting). */
  setFocus(focus: WorkspaceFocus): void;
  /**
   * A client (window, browser tab) connected: while at least one is, the open data folder is watched and
   * its changes pushed. Returns the release to call when the client goes.
   */
  attachClient(): () => void;
  /** Releases what a caller held (its log follows): the transport calls it when that client is gone. */
  release(caller: Caller): void;
  /** Logs followed now, with the references each caller holds (for diagnostics and tests). */
  follows(): Map<string, ReadonlyMap<string, number>>;
}

/** Resolves a path the UI named relative to the data folder, refusing anything that would leave it. */
export function insideDataDir(ws: Workspace, relativePath: string): string {
  const abs = resolve(ws.root, relativePath);
  const rel = relative(ws.root, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(ws.root, rel) !== abs) {
    throw new ExpmanError('USAGE', `${relativePath} is outside the data folder`, { key: 'path' });
  }
  return abs;
}

async function experimentsOverview(ws: Workspace): Promise<ExperimentSummary[]> {
  const names = await listExperiments(ws);
  // The CLI trains into experiments/default unless told otherwise, so a fresh data folder offers it.
  if (!names.includes(DEFAULT_EXPERIMENT)) names.unshift(DEFAULT_EXPERIMENT);
  const runs = await listRuns(ws);
  return Promise.all(
    names.map(async (name) => ({
      name,
      hasConfig: await exists(paths.experimentConfig(ws, name)),
      runs: runs.filter((run) => run.experiment === name),
    })),
  );
}

/**
 * The app's backend: every API call implemented over the core, for any transport (Electron IPC in the
 * desktop app, HTTP + WebSocket in `expman ui`). Plain Node; imports nothing from Electron.
 */
export function createBackend(options: BackendOptions): Backend {
  let focus = options.focus;
  const ws = (): Workspace => workspace(focus.dataDir);
  const runs = options.runManager ?? new RunManager({ emit: options.emit });
  const logs = new LogRegistry();
  const logFile = (experiment: string, model: string): string => runFiles.runLog(paths.modelDir(ws(), experiment, model));
  /** Followed run logs: two views of one run share one watcher; each caller's references are its own. */
  const follows = new LogFollows();
  const destinations = new SyncDestinationStore(options.syncDestinationsFile ?? join(settingsDir(), 'sync-destinations.json'));
  /** Long tasks the UI may cancel, by the taskId it chose. */
  const tasks = new Map<string, AbortController>();
  const task = async <T>(taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    if (tasks.has(taskId)) throw new ExpmanError('USAGE', `task ${taskId} is already running`, { key: 'taskId' });
    const controller = new AbortController();
    tasks.set(taskId, controller);
    try {
      return await work(controller.signal);
    } finally {
      tasks.delete(taskId);
    }
  };

  /** Connected clients, and the data folder followed for them (one shared watcher per folder, see core/watch). */
  let clients = 0;
  let follow: { root: string; unsubscribe: () => void } | undefined;
  const syncFollow = (): void => {
    const root = clients > 0 ? ws().root : undefined;
    if (follow?.root === root) return;
    follow?.unsubscribe();
    follow = undefined;
    if (root === undefined) return;
    const subscription = subscribeDataFolder(root, options.emit, {
      watcher: { mode: watchModeFromEnv(process.env), ...options.watch, ...(options.log ? { log: options.log } : {}) },
      onError: (error) => options.onInternalError?.('watch', error),
    });
    follow = { root, unsubscribe: subscription.unsubscribe };
  };

  const handlers: Handlers = {
    'app:info': async () => {
      const runtime = resolveWorkerRuntime('');
      return {
        version: toolVersion(),
        transport: options.transport,
        dataDir: focus.dataDir,
        platform: platform(),
        worker: { source: runtime.source, nativeBackends: runtime.nativeBackends },
        osIntegration: options.os !== undefined,
      };
    },
    'workspace:focus': async () => ({ ...focus }),
    'experiments:list': async () => experimentsOverview(ws()),
    'runs:list': async ({ experiment }) => listRuns(ws(), experiment),
    'runs:get': async ({ experiment, model }) => runDetail(ws(), experiment, model),
    'runs:metrics': async ({ experiment, model, since }) => runMetrics(ws(), experiment, model, since),
    'runs:start': async ({ experiment, model, overrides }) => runs.start(ws(), { experiment, model, overrides }),
    'runs:resume': async (run) => runs.resume(ws(), run),
    'runs:rerun': async (run) => runs.rerun(ws(), run),
    'runs:test': async ({ experiment, model }) => {
      const root = ws().root;
      // The same Node.js the run trained with (its saved runtime.node), so a native backend can load the model.
      const { config } = await readRunConfig(paths.modelDir(ws(), experiment, model));
      await runCliTask(['test', '--data', root, '--experiment', experiment, '--model', model], resolveWorkerRuntime(config.values['runtime.node']));
      return runDetail(ws(), experiment, model);
    },
    'runs:stop': async ({ jobId }) => runs.stop(jobId),
    'runs:stop-run': async ({ experiment, model, force }) => {
      const here = ws();
      await runs.stopRun(here, { experiment, model }, force ? { force } : {});
      return (await runDetail(here, experiment, model)).summary;
    },
    'jobs:list': async () => runs.state(),
    'jobs:set-concurrency': async ({ concurrency }) => runs.setConcurrency(concurrency),
    'logs:read': async ({ experiment, model, request }) => logs.read(logFile(experiment, model), request),
    'logs:search': async ({ experiment, model, request }) => logs.search(logFile(experiment, model), request),
    'logs:watch': async ({ experiment, model }, caller) => {
      const file = logFile(experiment, model);
      follows.follow(caller.id, `${ws().root}\0${experiment}\0${model}`, () =>
        logs.watch(file, (info) => options.emit('logs:changed', { experiment, model, info })),
      );
      return null;
    },
    'logs:unwatch': async ({ experiment, model }, caller) => {
      follows.unfollow(caller.id, `${ws().root}\0${experiment}\0${model}`);
      return null;
    },
    'config:schema': async () => configSchemaDto(),
    'config:read': async ({ experiment }) => readExperimentConfig(ws(), experiment),
    'config:validate': async ({ experiment, text, overrides }) => validateConfigText(ws(), experiment, text, overrides ?? []),
    'config:edit': async ({ text, key, value }) => (value === null ? removeConfigValue(text, key) : setConfigValue(text, key, value)),
    'config:save': async ({ experiment, text }) => saveExperimentConfig(ws(), experiment, text),
    'datasets:list': async () => listDatasets(ws()),
    'datasets:page': async ({ name, part, offset, limit }) => readDatasetPage(ws(), name, part, offset, limit),
    'datasets:stats': async ({ name, part, bins }) => datasetStats(ws(), name, part, { ...(bins !== undefined ? { bins } : {}), engine: options.statsEngine ?? 'auto' }),
    'datasets:preprocess': async (req) =>
      task(req.taskId, async (signal) => {
        const here = ws();
        const result = await preprocess(here, {
          dataset: req.source,
          name: req.name ?? PREPROCESS_DEFAULTS.name,
          split: req.split,
          separateSets: req.separateSets,
          seed: req.seed ?? PREPROCESS_DEFAULTS.seed,
          ...(req.label !== undefined ? { label: req.label } : {}),
          ...(req.task !== undefined ? { task: req.task } : {}),
          ...(req.force !== undefined ? { force: req.force } : {}),
          onProgress: (p) => options.emit('progress', { taskId: req.taskId, ...p }),
          signal,
        });
        return { dataset: await preparedDatasetSummary(here, result.info.dataset.name), unchanged: result.unchanged };
      }),
    'archive:create': async ({ taskId, excludeCheckpoints, only }) => {
      const os = options.os;
      if (!os) {
        throw new ExpmanError('USAGE', 'archiving from the browser UI is not available (it would write a file on the server): run `expman archive` on the machine that holds the data folder');
      }
      const out = await os.chooseArchivePath(defaultArchiveName());
      if (out === undefined) throw new ExpmanError('CANCELLED', 'archive cancelled: no file chosen');
      const result = await task(taskId, (signal) =>
        createArchive({ dataDir: ws().root, out, excludeCheckpoints, only, overwrite: true, signal, onProgress: (p) => options.emit('progress', { taskId, ...p }) }),
      );
      os.archiveDone(result);
      return result;
    },
    'sync:destinations': async () => destinations.list(),
    'sync:save-destination': async ({ destination }) => destinations.save(destination),
    'sync:remove-destination': async ({ name }) => destinations.remove(name),
    'sync:run': async ({ taskId, target, direction, dryRun, delete: del, excludeCheckpoints }) =>
      task(taskId, (signal) =>
        syncData({
          dataDir: ws().root,
          ...(direction === 'push' ? { to: target } : { from: target }),
          dryRun,
          delete: del,
          excludeCheckpoints,
          signal,
          onProgress: (p) => options.emit('progress', { taskId, ...p }),
        }),
      ),
    'tasks:cancel': async ({ taskId }) => {
      const controller = tasks.get(taskId);
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    'shell:reveal': async ({ path }) => {
      if (!options.os) throw new ExpmanError('USAGE', 'revealing files needs the desktop app');
      const abs = insideDataDir(ws(), path);
      if (!(await exists(abs))) throw new ExpmanError('USAGE', `${path} does not exist in the data folder`, { file: abs });
      await options.os.reveal(abs);
      return null;
    },
  };

  return {
    dispatch: createDispatcher(handlers, options.onInternalError),
    handlers,
    runs,
    focus: () => ({ ...focus }),
    setFocus: (next) => {
      focus = next;
      syncFollow();
      options.emit('workspace:changed', { ...next });
    },
    attachClient: () => {
      clients++;
      syncFollow();
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        clients--;
        syncFollow();
      };
    },
    release: (caller) => follows.release(caller.id),
    follows: () => follows.active(),
  };
}
