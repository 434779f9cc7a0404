import { closeSync, existsSync, fstatSync, openSync, promises as fs, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseToml } from '../config/toml-text.js';
import { isTempName } from '../fs/atomic.js';
import { runLiveState, readTestScore, type StatusFile } from '../training/run-store.js';
import { lockFile, readLock } from './lock.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import { configColumnId, metricColumnId, METRIC_STATS, TABLE_SMOOTHING, type Cell, type RunTable, type RunTableColumn, type RunTableRun } from '../../shared/run-table.js';

/** Fields of an epoch_end event that are not metrics; every other number is one (command runs name their own). */
const NOT_METRICS = new Set(['event', 'time', 'epoch', 'epochs', 'duration_ms', 'samples_per_s']);

/** Running summary of one metric's epoch values: last, min, max and the debiased EMA (as the charts smooth). */
interface MetricAccumulator {
  last: number;
  min: number;
  max: number;
  /** biased EMA and how many finite values it holds */
  ema: number;
  count: number;
}

function addValue(acc: MetricAccumulator | undefined, value: number): MetricAccumulator {
  if (!acc) return { last: value, min: value, max: value, ema: (1 - TABLE_SMOOTHING) * value, count: 1 };
  acc.last = value;
  if (value < acc.min) acc.min = value;
  if (value > acc.max) acc.max = value;
  acc.ema = TABLE_SMOOTHING * acc.ema + (1 - TABLE_SMOOTHING) * value;
  acc.count++;
  return acc;
}

export function smoothedValue(acc: MetricAccumulator): number {
  return acc.ema / (1 - TABLE_SMOOTHING ** acc.count);
}

/** Identity of a file's content as far as a cache can tell without reading it. */
const fileKey = (st: Stats): string => `${st.ino}:${st.size}:${st.mtimeMs}`;

/**
 * What the table knows of a run's metrics.jsonl: its summaries up to `offset` (just past the last complete
 * line read). The file only grows while a run writes it, so a larger file with the same inode is read
 * from `offset` on; a replaced or shorter one is read again from the start.
 */
interface MetricsSummary {
  ino: number;
  size: number;
  mtimeMs: number;
  offset: number;
  metrics: Map<string, MetricAccumulator>;
}

interface CachedRun {
  statusKey?: string;
  status?: StatusFile;
  configKey?: string;
  config?: Record<string, Cell>;
  metrics?: MetricsSummary;
}

/** Flattens parsed TOML to dotted keys; arrays (and dates) become their JSON text, so they compare and group as values. */
export function flattenConfig(table: Record<string, unknown>, prefix = '', out: Record<string, Cell> = {}): Record<string, Cell> {
  for (const [key, value] of Object.entries(table)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value instanceof Date) out[path] = value.toISOString();
    else if (Array.isArray(value)) out[path] = JSON.stringify(value);
    else if (value !== null && typeof value === 'object') flattenConfig(value as Record<string, unknown>, path, out);
    else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') out[path] = value;
    else if (typeof value === 'bigint') out[path] = Number(value);
  }
  return out;
}

const EVENT_PREFIX = '{"event":"';

/** Folds the complete lines of `text` into the summaries. A line that is not an epoch_end (or not JSON: torn) adds nothing. */
function foldLines(text: string, metrics: Map<string, MetricAccumulator>): void {
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
    // Most lines of a long run are batch_end: skip them without parsing. expman writes `{"event":"…`
    // first; other writers (a command's script) may not, and their lines are looked into.
    if (text.startsWith(EVENT_PREFIX, start)) {
      if (!text.startsWith('epoch_end"', start + EVENT_PREFIX.length)) continue;
    } else if (!text.slice(start, end).includes('epoch_end')) continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text.slice(start, end)) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (event === null || typeof event !== 'object' || event['event'] !== 'epoch_end') continue;
    for (const [name, value] of Object.entries(event)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || NOT_METRICS.has(name)) continue;
      metrics.set(name, addValue(metrics.get(name), value));
    }
  }
}

/** Reads what metrics.jsonl gained since `previous` (all of it when it was replaced), synchronously. */
export function summarizeMetrics(file: string, previous?: MetricsSummary): MetricsSummary | undefined {
  // A stat first: most files of a table read again have not changed, and a stat is one system call.
  const before = statSync(file, { throwIfNoEntry: false });
  if (!before) return undefined;
  if (previous && previous.ino === before.ino && previous.size === before.size && previous.mtimeMs === before.mtimeMs) return previous;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const grows = previous !== undefined && previous.ino === st.ino && st.size >= previous.offset;
    const summary: MetricsSummary = grows
      ? { ...previous, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs }
      : { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, offset: 0, metrics: new Map() };
    const length = st.size - summary.offset;
    if (length <= 0) return summary;
    const buffer = Buffer.allocUnsafe(length);
    const read = readSync(fd, buffer, 0, length, summary.offset);
    // Only complete lines: a writer mid-append finishes its line before the next read.
    const end = buffer.subarray(0, read).lastIndexOf(0x0a) + 1;
    if (end === 0) return summary;
    foldLines(buffer.toString('utf8', 0, end), summary.metrics);
    summary.offset += end;
    return summary;
  } finally {
    closeSync(fd);
  }
}

/** Runs read synchronously between two yields to the event loop: a server stays responsive while it reads 10,000. */
const BATCH = 200;

/**
 * The runs table of an experiment, read from its run folders. Config and metric summaries are cached per
 * run folder and kept while config.toml and metrics.jsonl keep their inode, size and modification time; a
 * growing metrics.jsonl is read only where it grew. status.json and lock.json are read every time (they
 * say whether a run is live). Small files are read synchronously, in batches: for thousands of tiny
 * files that is several times faster than a promise per file.
 */
export class RunTableReader {
  private readonly cache = new Map<string, CachedRun>();
  /** Reads under way by models folder: a second ask while one runs (another tab, a quick reload) shares it. */
  private readonly inFlight = new Map<string, Promise<RunTable>>();

  read(ws: Workspace, experiment: string): Promise<RunTable> {
    const key = paths.modelsDir(ws, experiment);
    const running = this.inFlight.get(key);
    if (running) return running;
    const reading = this.readNow(ws, experiment).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, reading);
    return reading;
  }

  private async readNow(ws: Workspace, experiment: string): Promise<RunTable> {
    const modelsDir = paths.modelsDir(ws, experiment);
    let names: string[];
    try {
      names = (await fs.readdir(modelsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && !isTempName(e.name) && !e.name.startsWith('.')).map((e) => e.name);
    } catch {
      names = [];
    }
    const tested = await testedModels(ws, experiment);
    const rows: Array<{ run: RunTableRun; config: Record<string, Cell>; metrics: Map<string, MetricAccumulator> }> = [];
    const seen = new Set<string>();
    for (let i = 0; i < names.length; i += BATCH) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const model of names.slice(i, i + BATCH)) {
        const dir = paths.modelDir(ws, experiment, model);
        seen.add(dir);
        const row = this.readRun(dir, model);
        if (row) rows.push(row);
      }
    }
    for (const row of rows) {
      if (!tested.has(row.run.model)) continue;
      const testScore = await readTestScore(ws, experiment, row.run.model);
      if (testScore) row.run.testScore = testScore;
    }
    // Forget folders that are gone, so the cache does not outlive them.
    const prefix = join(modelsDir, '/');
    for (const dir of this.cache.keys()) if (dir.startsWith(prefix) && !seen.has(dir)) this.cache.delete(dir);
    rows.sort((a, b) => a.run.started.localeCompare(b.run.started) || a.run.model.localeCompare(b.run.model));
    return { experiment, runs: rows.map((r) => r.run), columns: tableColumns(rows) };
  }

  private readRun(dir: string, model: string): { run: RunTableRun; config: Record<string, Cell>; metrics: Map<string, MetricAccumulator> } | null {
    const cached = this.cache.get(dir) ?? {};
    this.cache.set(dir, cached);
    const statusFile = runFiles.status(dir);
    const statusStat = statSync(statusFile, { throwIfNoEntry: false });
    if (!statusStat) return null;
    if (cached.statusKey !== fileKey(statusStat) || !cached.status) {
      try {
        cached.status = JSON.parse(readFileSync(statusFile, 'utf8')) as StatusFile;
        cached.statusKey = fileKey(statusStat);
      } catch {
        // status.json is replaced atomically, so this is a folder that is not a run
        cached.status = undefined;
        cached.statusKey = undefined;
        return null;
      }
    }
    const status = cached.status;
    // Liveness is judged afresh every time: lock.json is there only while a run is written, and a cheap
    // existence check spares a failed open per finished run.
    const state = runLiveState(status, existsSync(lockFile(dir)) ? readLock(dir) : null);
    try {
      const file = runFiles.config(dir);
      const key = fileKey(statSync(file));
      if (cached.configKey !== key) {
        cached.config = flattenConfig(parseToml(readFileSync(file, 'utf8')));
        cached.configKey = key;
      }
    } catch {
      // no config.toml yet, or one that does not parse: no config columns for this run
      cached.config = {};
      cached.configKey = undefined;
    }
    cached.metrics = summarizeMetrics(runFiles.metrics(dir), cached.metrics);
    return {
      run: { model, status: state.status, live: state.live, epoch: status.epoch, epochs: status.epochs, started: status.started },
      config: cached.config ?? {},
      metrics: cached.metrics?.metrics ?? new Map<string, MetricAccumulator>(),
    };
  }
}

/** Models with a results folder (tested), from one listing instead of a failed open per untested run. */
async function testedModels(ws: Workspace, experiment: string): Promise<Set<string>> {
  try {
    return new Set(await fs.readdir(join(paths.experimentDir(ws, experiment), 'results')));
  } catch {
    return new Set();
  }
}

/** The rows as columns: config keys sorted, then metrics by name and statistic; a column with one value for every run is sent once. */
function tableColumns(rows: ReadonlyArray<{ config: Record<string, Cell>; metrics: Map<string, MetricAccumulator> }>): RunTableColumn[] {
  const configKeys = new Set<string>();
  const metricNames = new Set<string>();
  for (const row of rows) {
    for (const key in row.config) configKeys.add(key);
    for (const name of row.metrics.keys()) metricNames.add(name);
  }
  const columns: RunTableColumn[] = [];
  const push = (id: string, values: Cell[]): void => {
    const first = values[0] ?? null;
    columns.push(values.every((v) => v === first) ? { id, constant: first } : { id, values });
  };
  for (const key of [...configKeys].sort()) push(configColumnId(key), rows.map((r) => r.config[key] ?? null));
  for (const name of [...metricNames].sort()) {
    for (const stat of METRIC_STATS) {
      push(
        metricColumnId(name, stat),
        rows.map((r) => {
          const acc = r.metrics.get(name);
          if (!acc) return null;
          return stat === 'smoothed' ? smoothedValue(acc) : acc[stat];
        }),
      );
    }
  }
  return columns;
}
