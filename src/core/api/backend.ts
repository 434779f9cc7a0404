import type { WorkspaceFocus } from '../../shared/api.js';
import { RunManager } from '../jobs/run-manager.js';
import { LogFollows } from '../logs/log-follows.js';
import { subscribeDataFolder } from '../watch/data-folder-feed.js';
import { watchModeFromEnv } from '../watch/data-folder-watcher.js';
import { workspace, type Workspace } from '../workspace.js';
import { createDispatcher, type Caller, type Dispatch, type Handlers } from './dispatch.js';
import { archiveSyncHandlers } from './handlers/archive-sync.js';
import { configHandlers } from './handlers/config.js';
import { combineHandlers, type BackendOptions, type HandlerContext } from './handlers/context.js';
import { datasetsHandlers } from './handlers/datasets.js';
import { logsHandlers } from './handlers/logs.js';
import { modelsHandlers } from './handlers/models.js';
import { runsHandlers } from './handlers/runs.js';
import { sweepsHandlers } from './handlers/sweeps.js';
import { targetsHandlers } from './handlers/targets.js';
import { workspaceHandlers } from './handlers/workspace.js';
import { TaskRegistry } from './task-registry.js';

export type { BackendOptions, OsIntegration } from './handlers/context.js';

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

/**
 * The app's backend: every API call implemented over the core, for any transport (Electron IPC in the
 * desktop app, HTTP + WebSocket in `expman ui`). Plain Node; imports nothing from Electron. The handlers
 * live per domain in ./handlers/ and are combined here once.
 */
export function createBackend(options: BackendOptions): Backend {
  let focus = options.focus;
  const ws = (): Workspace => workspace(focus.dataDir);
  const runs = options.runManager ?? new RunManager({ emit: options.emit });
  const follows = new LogFollows();
  const ctx: HandlerContext = { options, ws, focus: () => ({ ...focus }), runs, follows, tasks: new TaskRegistry() };

  const handlers: Handlers = combineHandlers(
    workspaceHandlers(ctx),
    runsHandlers(ctx),
    logsHandlers(ctx),
    configHandlers(ctx),
    datasetsHandlers(ctx),
    targetsHandlers(ctx),
    modelsHandlers(ctx),
    sweepsHandlers(ctx),
    archiveSyncHandlers(ctx),
  );

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

  /**
   * Runs of the open folder that execute on a target (SSH, Slurm) are followed again whenever this backend
   * opens the folder: after a restart nothing else streams them home or can stop them. RunManager.adopt
   * leaves a run it already follows alone, so opening a folder twice never attaches twice.
   */
  const adopt = (): void => {
    const root = ws();
    void runs.adopt(root).then(
      ({ adopted, skipped }) => {
        for (const job of adopted) options.log?.(`following ${job.run.experiment}/${job.run.model} again (${job.executor}${job.target ? ` target ${job.target}` : ''})`);
        for (const run of skipped) options.log?.(`cannot follow ${run.experiment}/${run.model} in ${root.root}: ${run.message}`);
      },
      (error: unknown) => options.onInternalError?.('runs:adopt', error),
    );
  };
  adopt();

  return {
    dispatch: createDispatcher(handlers, options.onInternalError),
    handlers,
    runs,
    focus: () => ({ ...focus }),
    setFocus: (next) => {
      focus = next;
      syncFollow();
      adopt();
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
