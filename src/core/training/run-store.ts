import { appendFileSync, existsSync, promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseCsvText } from '../datasets/csv-lines.js';
import { isTempName, writeFileAtomic } from '../fs/atomic.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import type { BestSoFar, RunEvent, WithoutTime } from './events.js';
import { isEventObject } from '../../shared/run-events.js';

import type { RunError, RunLiveness, RunStatus, RunSummary, TestScore } from '../../shared/runs.js';
import { lockFile, lockLiveness, processMatches, readLock, type LockFile } from '../runs/lock.js';
import { readExecutorRecordSync } from '../executors/executor.js';

export type { RunStatus, RunSummary } from '../../shared/runs.js';

export interface StatusFile {
  status: RunStatus;
  pid: number;
  host: string;
  started: string;
  updated: string;
  finished?: string;
  epoch: number;
  epochs: number;
  backend?: string;
  /** Backend package versions and the device, e.g. "Nvidia nvidia-h200 (WebGPU; …)". */
  backend_version?: string;
  device?: string;
  best: BestSoFar | null;
  error?: RunError;
  /**
   * Set on a queued run that a scheduler holds (a Slurm job): it stays `queued` after the process that
   * queued it has gone. The worker drops it when it starts.
   */
  executor?: 'ssh' | 'slurm';
}

export async function writeStatus(dir: string, status: StatusFile): Promise<void> {
  await writeFileAtomic(runFiles.status(dir), `${JSON.stringify(status, null, 2)}\n`);
}

export async function readStatus(dir: string): Promise<StatusFile | null> {
  try {
    return JSON.parse(await fs.readFile(runFiles.status(dir), 'utf8')) as StatusFile;
  } catch {
    return null;
  }
}

export interface RunLiveState {
  status: RunStatus;
  live: RunLiveness;
  /** The live writer, from lock.json. */
  pid?: number;
  host?: string;
}

/**
 * What a reader should show for a run, from its status.json and lock.json (`readLock(dir)`):
 * - a live lock here or elsewhere: the recorded status, with who writes it;
 * - `running` on this host without a live lock: the writer died without recording its end → `failed`;
 *   `running` written on another host without a lock (e.g. synced without it): running elsewhere;
 * - `queued` (queued runs hold no lock): `stopped` when the process that queued it is gone from this host,
 *   unless a scheduler holds it (`executor`: a submitted Slurm job waits without any process of ours);
 * Without `lock` (callers that did not read it), the status's own pid is checked, as before locks.
 */
export function runLiveState(status: StatusFile, lock?: LockFile | null): RunLiveState {
  if (lock === undefined) return { status: effectiveStatusByPid(status), live: null };
  const live = lockLiveness(lock);
  if (lock && live) return { status: status.status, live, pid: lock.pid, host: lock.host };
  const here = status.host === hostname();
  switch (status.status) {
    case 'running':
      return here ? { status: 'failed', live: null } : { status: 'running', live: 'elsewhere', pid: status.pid, host: status.host };
    case 'queued':
      if (status.executor) return { status: 'queued', live: null };
      return here && !processMatches(status.pid) ? { status: 'stopped', live: null } : { status: 'queued', live: null };
    default:
      return { status: status.status, live: null };
  }
}

function effectiveStatusByPid(status: StatusFile): RunStatus {
  if (status.host !== hostname() || processMatches(status.pid)) return status.status;
  if (status.status === 'running') return 'failed';
  if (status.status === 'queued') return status.executor ? 'queued' : 'stopped';
  return status.status;
}

/** The status a reader should show (see runLiveState); pass the run's lock (readLock) to make it lock-aware. */
export function effectiveStatus(status: StatusFile, lock?: LockFile | null): RunStatus {
  return runLiveState(status, lock).status;
}

/** status.json and lock.json of a run folder, read together; null when it is not a run (no status). */
export async function readRunState(dir: string): Promise<(RunLiveState & { file: StatusFile }) | null> {
  const file = await readStatus(dir);
  if (!file) return null;
  return { ...runLiveState(file, readLock(dir)), file };
}

/**
 * Appends events to metrics.jsonl synchronously: each line is on disk before training goes on, so a
 * crash or kill loses at most the event being written.
 */
export class MetricsWriter {
  constructor(private readonly file: string) {}

  write<E extends WithoutTime<RunEvent>>(event: E): RunEvent {
    const { event: name, ...fields } = event;
    const full = { event: name, time: new Date().toISOString(), ...fields } as unknown as RunEvent;
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    return full;
  }
}

/** Reads metrics.jsonl; a torn last line (crash mid-write) is skipped. */
export async function readEvents(dir: string): Promise<RunEvent[]> {
  let text: string;
  try {
    text = await fs.readFile(runFiles.metrics(dir), 'utf8');
  } catch {
    return [];
  }
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as unknown;
      if (isEventObject(event)) events.push(event);
    } catch {
      // torn line from an interrupted write
    }
  }
  return events;
}

/** Per-epoch metrics of a run, the last record of each epoch winning (a resumed run re-runs epochs). */
export function epochHistory(events: RunEvent[]): Array<Extract<RunEvent, { event: 'epoch_end' }>> {
  const byEpoch = new Map<number, Extract<RunEvent, { event: 'epoch_end' }>>();
  for (const e of events) if (e.event === 'epoch_end') byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

async function dirs(path: string): Promise<string[]> {
  try {
    return (await fs.readdir(path, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !isTempName(e.name) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export async function listExperiments(ws: Workspace): Promise<string[]> {
  return dirs(paths.experimentsDir(ws));
}

/** Every folder that may hold a run (`experiments/<e>/models/<m>`, temporaries left out), sorted, whether or not it has a status yet. */
export async function listRunFolders(ws: Workspace): Promise<Array<{ experiment: string; model: string; dir: string }>> {
  const folders: Array<{ experiment: string; model: string; dir: string }> = [];
  for (const experiment of await listExperiments(ws)) {
    for (const model of await dirs(paths.modelsDir(ws, experiment))) folders.push({ experiment, model, dir: paths.modelDir(ws, experiment, model) });
  }
  return folders;
}

/**
 * The headline test metric from results/<model>/metrics.csv (written by `expman test`): accuracy for a
 * classification run, R² for a regression run; undefined while the run is untested (or the file unreadable).
 */
export async function readTestScore(ws: Workspace, experiment: string, model: string): Promise<TestScore | undefined> {
  let text: string;
  try {
    text = await fs.readFile(join(paths.resultsDir(ws, experiment, model), 'metrics.csv'), 'utf8');
  } catch {
    return undefined;
  }
  const rows = new Map(parseCsvText(text).rows.map(([name, value]) => [name, Number(value)]));
  for (const metric of ['accuracy', 'r2'] as const) {
    const value = rows.get(metric);
    if (value !== undefined && Number.isFinite(value)) return { metric, value };
  }
  return undefined;
}

/** One run's summary from its status.json, lock.json and test results; null when the folder holds no run (yet). */
export async function readRunSummary(ws: Workspace, experiment: string, model: string): Promise<RunSummary | null> {
  const summary = readRunSummarySync(paths.modelDir(ws, experiment, model), experiment, model);
  if (!summary) return null;
  const testScore = await readTestScore(ws, experiment, model);
  return testScore ? { ...summary, testScore } : summary;
}

/** A run's summary from status.json and lock.json, without its test score; null when the folder holds no run (yet). */
function readRunSummarySync(dir: string, experiment: string, model: string): RunSummary | null {
  let status: StatusFile;
  try {
    status = JSON.parse(readFileSync(runFiles.status(dir), 'utf8')) as StatusFile;
  } catch {
    return null;
  }
  // lock.json exists only while a run is written: checking for it spares a failed open per finished run.
  const state = runLiveState(status, existsSync(lockFile(dir)) ? readLock(dir) : null);
  const executor = readExecutorRecordSync(dir);
  return {
    experiment,
    model,
    dir,
    status: state.status,
    // Who writes the run now, from its lock: a live run on another host (a Slurm node, a synced folder) cannot be stopped from here.
    live: state.live,
    ...(state.pid !== undefined ? { pid: state.pid, host: state.host } : {}),
    epoch: status.epoch,
    epochs: status.epochs,
    backend: status.backend,
    backend_version: status.backend_version,
    device: status.device,
    best: status.best,
    started: status.started,
    updated: status.updated,
    error: status.error,
    ...(executor ? { executor } : {}),
  };
}

/** Runs read synchronously between two yields to the event loop (see listRuns). */
const LIST_BATCH = 200;

/**
 * Every run of every experiment (or of one), oldest first within an experiment. The small status and
 * lock files are read synchronously in batches, yielding to the event loop between them: for thousands
 * of runs that is several times faster than a promise per file, and a server stays responsive. Test
 * scores are read only for runs with a results folder (one listing per experiment).
 */
export async function listRuns(ws: Workspace, experiment?: string): Promise<RunSummary[]> {
  const experiments = experiment ? [experiment] : await listExperiments(ws);
  const runs: RunSummary[] = [];
  for (const exp of experiments) {
    const models = await dirs(paths.modelsDir(ws, exp));
    const tested = new Set(await dirs(join(paths.experimentDir(ws, exp), 'results')));
    for (let i = 0; i < models.length; i += LIST_BATCH) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const model of models.slice(i, i + LIST_BATCH)) {
        const summary = readRunSummarySync(paths.modelDir(ws, exp, model), exp, model);
        if (!summary) continue;
        const testScore = tested.has(model) ? await readTestScore(ws, exp, model) : undefined;
        runs.push(testScore ? { ...summary, testScore } : summary);
      }
    }
  }
  runs.sort((a, b) => (a.experiment === b.experiment ? a.started.localeCompare(b.started) : a.experiment.localeCompare(b.experiment)));
  return runs;
}

/** Epoch numbers of the complete checkpoints of a run, ascending. */
export async function listCheckpoints(dir: string): Promise<number[]> {
  const names = await dirs(runFiles.checkpoints(dir));
  return names
    .map((name) => /^model-checkpoint-epoch-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function newStatus(epochs: number, status: 'running' | 'queued' = 'running'): StatusFile {
  const now = new Date().toISOString();
  return { status, pid: process.pid, host: hostname(), started: now, updated: now, epoch: 0, epochs, best: null };
}

export const checkpointStateFile = (dir: string): string => join(dir, 'state.json');
