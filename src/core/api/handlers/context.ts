import type { AppInfo, CallChannel, WorkspaceFocus } from '../../../shared/api.js';
import type { ArchiveResultDto } from '../../../shared/archive-sync.js';
import type { Emit, RunManager } from '../../jobs/run-manager.js';
import type { LogFollows } from '../../logs/log-follows.js';
import type { DataFolderWatcherOptions } from '../../watch/data-folder-watcher.js';
import type { Workspace } from '../../workspace.js';
import type { Handlers } from '../dispatch.js';
import type { TaskRegistry } from '../task-registry.js';

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

/**
 * What every domain's handlers share: the backend's options, the open data folder (read on each call,
 * since the focus can change), the run queue, the log follows (released per caller by the backend) and
 * the cancellable long tasks.
 */
export interface HandlerContext {
  readonly options: BackendOptions;
  /** The open data folder now. */
  ws(): Workspace;
  focus(): WorkspaceFocus;
  readonly runs: RunManager;
  readonly follows: LogFollows;
  readonly tasks: TaskRegistry;
}

/** The handlers of the calls whose channel starts with one of `Domains` (`'runs'` → `runs:*`), no more, no less. */
export type DomainHandlers<Domains extends string> = Pick<Handlers, Extract<CallChannel, `${Domains}:${string}`>>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * Joins the domains' handler groups into one table. The result's type is the union of the groups, so a
 * call that no group handles is a compile error where the table is declared as `Handlers`; a call two
 * groups both handle is refused here, before any request is served.
 */
export function combineHandlers<Groups extends ReadonlyArray<Partial<Handlers>>>(...groups: Groups): UnionToIntersection<Groups[number]> {
  const table: Record<string, unknown> = {};
  for (const group of groups) {
    for (const [channel, handler] of Object.entries(group)) {
      if (channel in table) throw new Error(`two handler groups handle ${channel}`);
      table[channel] = handler;
    }
  }
  return table as UnionToIntersection<Groups[number]>;
}
