import { watch as fsWatch, promises as fs, type FSWatcher, type WatchListener } from 'node:fs';
import { join } from 'node:path';
import { isTempName } from '../fs/atomic.js';

/**
 * What changed in a data folder, at the granularity readers care about. A change says *where* to look;
 * the feed (data-folder-feed.ts) reads the data and pushes it.
 */
export type DataFolderChange =
  /** experiments/<experiment>/ appeared or disappeared. */
  | { kind: 'experiment'; experiment: string; exists: boolean }
  /** experiments/<experiment>/config.toml was created, replaced, changed or removed. */
  | { kind: 'config'; experiment: string; exists: boolean }
  /** A run folder appeared or disappeared, or its status.json was written. */
  | { kind: 'run'; experiment: string; model: string }
  /** A run's logs/metrics.jsonl grew, was replaced or removed. */
  | { kind: 'metrics'; experiment: string; model: string }
  /** Something under datasets/ (a prepared dataset or an external CSV) was added, replaced or removed. */
  | { kind: 'datasets' }
  /** A sweep folder appeared or disappeared, or its state.json, trials.json or lock.json (its controller) changed. */
  | { kind: 'sweep'; experiment: string; name: string };

export type WatchMode = 'watch' | 'poll';

/** fs.watch's shape, passed in so tests can simulate a watch limit (ENOSPC/EMFILE). */
export type WatchFn = (dir: string, listener: WatchListener<string>) => FSWatcher;

export interface DataFolderWatcherOptions {
  /** 'auto' (default): fs.watch per folder, polling when the OS refuses watches. */
  mode?: 'auto' | WatchMode;
  /** Polling period in poll mode (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * A folder is rescanned this long after the first of its events; later ones join the scan. Folders whose
   * entries are folders (experiments, models: membership) default to 50 ms, run folders to 300 ms.
   */
  coalesceMs?: number;
  /**
   * A run folder busy for this many scans in a row (a training run appending) stops being watched and is
   * polled every `hotPollMs` instead, until it has been quiet for `quietPolls` polls (default 3, 500 ms,
   * 10): a run appending 30 lines a second costs a stat per poll instead of 30 wake-ups and scans.
   */
  hotAfter?: number;
  hotPollMs?: number;
  quietPolls?: number;
  /** One line per notable event (fallback to polling). */
  log?: (line: string) => void;
  watchFn?: WatchFn;
}

/**
 * Which folders of the data folder matter and what each entry in them means. Only this skeleton is watched
 * (about two folders per run), not checkpoints or best-model trees: fewer watches, no events from writes
 * nobody shows. Node's recursive fs.watch on Linux would watch every folder of every checkpoint.
 */
type Role = 'root' | 'experiments' | 'experiment' | 'models' | 'run' | 'logs' | 'datasets' | 'external' | 'sweeps' | 'sweep';

interface Node {
  dir: string;
  role: Role;
  experiment?: string;
  model?: string;
  sweep?: string;
  /** Entry name → signature ('d' for a folder of interest; inode:size:mtime for a file of interest). */
  entries: Map<string, string>;
  children: Map<string, Node>;
  watcher?: FSWatcher;
  /** Scan scheduling (watch mode). */
  timer?: NodeJS.Timeout;
  /** Busy scans in a row and when the last one ran (hot-file detection, run and logs folders only). */
  busy?: number;
  lastScan?: number;
  /** Set while the folder is polled instead of watched (it was hot); quiet polls so far. */
  hot?: NodeJS.Timeout | undefined;
  quiet?: number;
  /** Names reported as 'change' only (a stat is enough); undefined = rescan the folder. */
  changedNames?: Set<string> | undefined;
  scanning?: Promise<void>;
  rescan?: boolean;
  closed?: boolean;
}

/** The entries of a folder that matter: folders that become child nodes, and files whose changes are reported. */
function interest(role: Role, name: string): { dir?: Role; file?: true } | undefined {
  if (isTempName(name) || name.startsWith('.')) return undefined;
  switch (role) {
    case 'root':
      return name === 'experiments' ? { dir: 'experiments' } : name === 'datasets' ? { dir: 'datasets' } : undefined;
    case 'experiments':
      return { dir: 'experiment' };
    case 'experiment':
      return name === 'models' ? { dir: 'models' } : name === 'sweeps' ? { dir: 'sweeps' } : name === 'config.toml' ? { file: true } : undefined;
    case 'sweeps':
      return { dir: 'sweep' };
    case 'sweep':
      // What a sweep view shows: its progress and trials, and whether a controller drives it (its lock).
      return name === 'state.json' || name === 'trials.json' || name === 'lock.json' ? { file: true } : undefined;
    case 'models':
      return { dir: 'run' };
    case 'run':
      return name === 'logs' ? { dir: 'logs' } : name === 'status.json' ? { file: true } : undefined;
    case 'logs':
      return name === 'metrics.jsonl' ? { file: true } : undefined;
    case 'datasets':
      return name === 'external' ? { dir: 'external' } : { file: true };
    case 'external':
      return { file: true };
  }
}

/**
 * `EXPMAN_WATCH=poll` forces polling: inotify does not see writes made by other hosts on NFS and similar
 * shared file systems (a Slurm node writing into the data folder). `watch` or unset: fs.watch, polling
 * when refused.
 */
export function watchModeFromEnv(env: NodeJS.ProcessEnv): 'auto' | WatchMode {
  const value = env['EXPMAN_WATCH'];
  return value === 'poll' || value === 'watch' ? value : 'auto';
}

const WATCH_LIMIT_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE', 'EPERM', 'EACCES']);

/**
 * One watcher of a data folder: fs.watch on each folder of its skeleton (root, experiments, each experiment,
 * models, each run and its logs, datasets), each event rescheduling a rescan of that folder alone; a rescan
 * compares the folder's entries (and the files of interest's inode, size and mtime) with the last ones and
 * reports the differences. So a temp-file + rename write is one change, a burst of appends is one change per
 * `coalesceMs`, folders created later are picked up (and scanned at once: they may be full already), removed
 * ones are reported with everything under them. If the OS refuses a watch (inotify limit, EMFILE), it logs
 * one line and polls the same skeleton instead, with the same comparison.
 */
export class DataFolderWatcher {
  private readonly options: Required<Omit<DataFolderWatcherOptions, 'log' | 'watchFn'>> & Pick<DataFolderWatcherOptions, 'log'>;
  private readonly watchFn: WatchFn;
  private readonly root: Node;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private currentMode: WatchMode;

  constructor(
    readonly dir: string,
    private readonly onChange: (changes: DataFolderChange[]) => void,
    options: DataFolderWatcherOptions = {},
  ) {
    this.options = {
      mode: options.mode ?? 'auto',
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      coalesceMs: options.coalesceMs ?? 300,
      hotAfter: options.hotAfter ?? 3,
      hotPollMs: options.hotPollMs ?? 500,
      quietPolls: options.quietPolls ?? 10,
      log: options.log,
    };
    this.watchFn = options.watchFn ?? ((d, listener) => fsWatch(d, { persistent: false }, listener));
    this.currentMode = this.options.mode === 'poll' ? 'poll' : 'watch';
    this.root = { dir, role: 'root', entries: new Map(), children: new Map() };
  }

  get mode(): WatchMode {
    return this.currentMode;
  }

  /** Takes the first snapshot (reporting nothing: readers list what exists) and starts watching. */
  async start(): Promise<void> {
    await this.open(this.root, false);
    if (this.currentMode === 'poll') this.startPolling();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    this.closeTree(this.root);
  }

  /** Rescans everything now (poll mode does this on its timer); resolves when the changes are reported. */
  async scanAll(): Promise<void> {
    const changes: DataFolderChange[] = [];
    await this.scanTree(this.root, changes);
    this.report(changes);
  }

  // ---- nodes ------------------------------------------------------------------------------------------

  /** Starts watching a node's folder (before reading it, so nothing written in between is missed) and scans it. */
  private async open(node: Node, reportContents: boolean, changes: DataFolderChange[] = []): Promise<void> {
    if (this.currentMode === 'watch') this.attachWatcher(node);
    await this.scan(node, undefined, reportContents ? changes : []);
  }

  private attachWatcher(node: Node): void {
    try {
      node.watcher = this.watchFn(node.dir, (_event, name) => this.onFsEvent(node, name));
      node.watcher.on('error', (error) => this.onWatchError(node, error));
    } catch (error) {
      this.onWatchError(node, error);
    }
  }

  private onWatchError(node: Node, error: unknown): void {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    node.watcher?.close();
    node.watcher = undefined;
    // A folder removed under its watcher: its parent's rescan reports it.
    if (code === 'ENOENT' || node.closed || this.closed) return;
    if (this.currentMode === 'poll') return;
    const reason = WATCH_LIMIT_CODES.has(code) ? `the system refused a file watch (${code})` : `a file watch failed (${code || String(error)})`;
    this.options.log?.(`[watch] ${reason} on ${node.dir}; polling ${this.dir} every ${this.options.pollIntervalMs} ms instead`);
    this.currentMode = 'poll';
    this.forEach(this.root, (n) => {
      n.watcher?.close();
      n.watcher = undefined;
      clearTimeout(n.timer);
      clearInterval(n.hot);
      n.hot = undefined;
      n.timer = undefined;
    });
    this.startPolling();
  }

  private onFsEvent(node: Node, name: string | null): void {
    if (this.closed || node.closed || this.currentMode !== 'watch') return;
    if (name !== null && isTempName(name)) return; // the rename that follows is the event that matters
    // An event naming a file of interest (appended, or created, replaced or removed by a rename) needs only
    // a stat of that file; anything else (a folder came or went, no name given) rescans the folder.
    const statOnly = name !== null && node.role !== 'datasets' && interest(node.role, name)?.file === true;
    if (!statOnly) node.changedNames = undefined;
    else if (node.timer === undefined) node.changedNames = new Set([name]);
    else node.changedNames?.add(name);
    // Events within `coalesceMs` of the first one join its scan: a temp + rename write, or a burst of
    // appends, is one scan; a file appended to continuously is looked at once per `coalesceMs`.
    if (node.timer !== undefined) return;
    const hotCapable = node.role === 'run' || node.role === 'logs';
    node.timer = setTimeout(
      () => {
        node.timer = undefined;
        const names = node.changedNames;
        node.changedNames = undefined;
        const changes: DataFolderChange[] = [];
        void this.scan(node, names, changes).then(() => {
          this.report(changes);
          if (!hotCapable || node.closed || this.currentMode !== 'watch') return;
          const now = Date.now();
          node.busy = node.lastScan !== undefined && now - node.lastScan < 3 * this.options.coalesceMs ? (node.busy ?? 0) + 1 : 1;
          node.lastScan = now;
          if (node.busy >= this.options.hotAfter) this.startHotPolling(node);
        });
      },
      hotCapable ? this.options.coalesceMs : Math.min(50, this.options.coalesceMs),
    );
  }

  /** A busy run folder: stop its watch (no wake-up per append) and look at its files every `hotPollMs`. */
  private startHotPolling(node: Node): void {
    node.watcher?.close();
    node.watcher = undefined;
    node.quiet = 0;
    node.hot = setInterval(() => {
      if (node.scanning) return;
      const changes: DataFolderChange[] = [];
      // A stat of the files of interest; a full rescan while a run folder still lacks its logs folder.
      const names = node.role === 'logs' ? new Set(['metrics.jsonl']) : node.children.has('logs') ? new Set(['status.json']) : undefined;
      void this.scan(node, names, changes).then(() => {
        this.report(changes);
        node.quiet = changes.length ? 0 : (node.quiet ?? 0) + 1;
        if (node.quiet >= this.options.quietPolls && !node.closed && this.currentMode === 'watch') this.stopHotPolling(node);
      });
    }, this.options.hotPollMs);
    node.hot.unref();
  }

  /** Quiet again: watch it, and scan once for anything written between the last poll and the watch. */
  private stopHotPolling(node: Node): void {
    clearInterval(node.hot);
    node.hot = undefined;
    node.busy = 0;
    const changes: DataFolderChange[] = [];
    void this.open(node, true, changes).then(() => this.report(changes));
  }

  private closeTree(node: Node): void {
    this.forEach(node, (n) => {
      n.closed = true;
      clearTimeout(n.timer);
      clearInterval(n.hot);
      n.watcher?.close();
      n.watcher = undefined;
    });
  }

  private forEach(node: Node, fn: (n: Node) => void): void {
    fn(node);
    for (const child of node.children.values()) this.forEach(child, fn);
  }

  // ---- scanning ---------------------------------------------------------------------------------------

  private async scanTree(node: Node, changes: DataFolderChange[]): Promise<void> {
    if (node.closed) return;
    await this.scan(node, undefined, changes);
    await Promise.all([...node.children.values()].map((child) => this.scanTree(child, changes)));
  }

  /** Scans are serialised per node: an event during a scan schedules one more full scan after it. */
  private async scan(node: Node, names: Set<string> | undefined, changes: DataFolderChange[]): Promise<void> {
    if (node.scanning) {
      node.rescan = true;
      await node.scanning;
      return;
    }
    node.scanning = this.scanOnce(node, names, changes);
    try {
      await node.scanning;
    } finally {
      node.scanning = undefined;
    }
    if (node.rescan && !node.closed) {
      node.rescan = false;
      await this.scan(node, undefined, changes);
    }
  }

  private async scanOnce(node: Node, names: Set<string> | undefined, changes: DataFolderChange[]): Promise<void> {
    if (node.closed) return;
    const next = names ? new Map(node.entries) : new Map<string, string>();
    if (names) {
      for (const name of names) {
        const signature = await fileSignature(join(node.dir, name));
        if (signature === undefined) next.delete(name);
        else next.set(name, signature);
      }
    } else {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(node.dir, { withFileTypes: true });
      } catch {
        entries = []; // removed: its parent reports it; report what it held
      }
      await Promise.all(
        entries.map(async (entry) => {
          const what = interest(node.role, entry.name);
          if (!what) return;
          if (what.dir && entry.isDirectory()) next.set(entry.name, 'd');
          else if (what.file && !entry.isDirectory()) {
            const signature = await fileSignature(join(node.dir, entry.name));
            if (signature !== undefined) next.set(entry.name, signature);
          } else if (what.file && node.role === 'datasets') next.set(entry.name, 'd'); // a prepared dataset folder
        }),
      );
    }
    if (node.closed) return;
    const previous = node.entries;
    node.entries = next;
    for (const [name, signature] of previous) if (!next.has(name)) await this.removed(node, name, signature, changes);
    for (const [name, signature] of next) {
      const before = previous.get(name);
      if (before === undefined) await this.added(node, name, signature, changes);
      else if (before !== signature) this.changed(node, name, changes);
    }
  }

  private async added(node: Node, name: string, signature: string, changes: DataFolderChange[]): Promise<void> {
    const role = signature === 'd' ? interest(node.role, name)?.dir : undefined;
    if (role) {
      const child: Node = { dir: join(node.dir, name), role, entries: new Map(), children: new Map(), ...this.names(node, role, name) };
      node.children.set(name, child);
      this.membership(child, true, changes);
      await this.open(child, true, changes);
      return;
    }
    this.changed(node, name, changes);
  }

  private async removed(node: Node, name: string, signature: string, changes: DataFolderChange[]): Promise<void> {
    const child = node.children.get(name);
    if (child) {
      node.children.delete(name);
      this.closeTree(child);
      this.reportRemovedTree(child, changes);
      this.membership(child, false, changes);
      return;
    }
    if (signature !== 'd' || node.role === 'datasets') this.changed(node, name, changes);
  }

  /** Everything below a removed folder, as changes (a run's metrics and status, an experiment's config). */
  private reportRemovedTree(node: Node, changes: DataFolderChange[]): void {
    for (const [name] of node.entries) if (!node.children.has(name)) this.changed(node, name, changes);
    for (const child of node.children.values()) {
      this.reportRemovedTree(child, changes);
      this.membership(child, false, changes);
    }
  }

  private names(parent: Node, role: Role, name: string): { experiment?: string; model?: string; sweep?: string } {
    if (role === 'experiment') return { experiment: name };
    if (role === 'run') return { experiment: parent.experiment!, model: name };
    if (role === 'sweep') return { experiment: parent.experiment!, sweep: name };
    return { ...(parent.experiment !== undefined ? { experiment: parent.experiment } : {}), ...(parent.model !== undefined ? { model: parent.model } : {}) };
  }

  /** A folder of interest came or went. */
  private membership(node: Node, exists: boolean, changes: DataFolderChange[]): void {
    if (node.role === 'experiment') changes.push({ kind: 'experiment', experiment: node.experiment!, exists });
    else if (node.role === 'run') changes.push({ kind: 'run', experiment: node.experiment!, model: node.model! });
    else if (node.role === 'sweep') changes.push({ kind: 'sweep', experiment: node.experiment!, name: node.sweep! });
    else if (node.role === 'datasets' || node.role === 'external') changes.push({ kind: 'datasets' });
  }

  /** A file of interest changed (or came, or went). */
  private changed(node: Node, name: string, changes: DataFolderChange[]): void {
    switch (node.role) {
      case 'experiment':
        changes.push({ kind: 'config', experiment: node.experiment!, exists: node.entries.has(name) });
        break;
      case 'run':
        changes.push({ kind: 'run', experiment: node.experiment!, model: node.model! });
        break;
      case 'logs':
        changes.push({ kind: 'metrics', experiment: node.experiment!, model: node.model! });
        break;
      case 'sweep':
        changes.push({ kind: 'sweep', experiment: node.experiment!, name: node.sweep! });
        break;
      case 'datasets':
      case 'external':
        changes.push({ kind: 'datasets' });
        break;
      default:
        break;
    }
  }

  private report(changes: DataFolderChange[]): void {
    if (this.closed || changes.length === 0) return;
    const seen = new Set<string>();
    const unique = changes.filter((c) => {
      const key = JSON.stringify(c);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    this.onChange(unique);
  }

  // ---- polling ----------------------------------------------------------------------------------------

  private startPolling(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (this.polling) return; // a slow file system: skip a beat rather than pile scans up
      this.polling = this.scanAll().finally(() => {
        this.polling = undefined;
      });
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
  }
}

/** inode, size and mtime: a rename over the file changes the inode, an append the size, a rewrite the mtime. */
async function fileSignature(path: string): Promise<string | undefined> {
  try {
    // Plain numbers: a bigint stat costs several times more, and this runs for every busy file every poll.
    const s = await fs.stat(path);
    if (s.isDirectory()) return 'd';
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}
