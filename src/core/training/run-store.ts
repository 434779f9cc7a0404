import { appendFileSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isTempName, writeFileAtomic } from '../fs/atomic.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import type { BestSoFar, RunEvent, WithoutTime } from './events.js';

import type { RunStatus, RunSummary } from '../../shared/runs.js';

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
  error?: { code: string; message: string };
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The status a reader should show: a `running` run whose process is gone on this host crashed. */
export function effectiveStatus(status: StatusFile): RunStatus {
  if (status.status === 'running' && status.host === hostname() && !processAlive(status.pid)) return 'failed';
  return status.status;
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
      events.push(JSON.parse(line) as RunEvent);
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

/** One run's summary from its status.json; null when the folder holds no run (yet). */
export async function readRunSummary(ws: Workspace, experiment: string, model: string): Promise<RunSummary | null> {
  const dir = paths.modelDir(ws, experiment, model);
  const status = await readStatus(dir);
  if (!status) return null;
  const effective = effectiveStatus(status);
  const here = status.host === hostname();
  return {
    experiment,
    model,
    dir,
    status: effective,
    epoch: status.epoch,
    epochs: status.epochs,
    backend: status.backend,
    backend_version: status.backend_version,
    device: status.device,
    best: status.best,
    started: status.started,
    updated: status.updated,
    error: status.error,
    pid: status.pid,
    host: status.host,
    // Whether this host can signal the run: a live run on another host (a Slurm node, a synced folder) cannot be stopped from here.
    live: effective === 'running' || effective === 'queued' ? (here ? 'here' : 'elsewhere') : null,
  };
}

/** Every run of every experiment (or of one), oldest first within an experiment. */
export async function listRuns(ws: Workspace, experiment?: string): Promise<RunSummary[]> {
  const experiments = experiment ? [experiment] : await listExperiments(ws);
  const runs: RunSummary[] = [];
  for (const exp of experiments) {
    for (const model of await dirs(paths.modelsDir(ws, exp))) {
      const summary = await readRunSummary(ws, exp, model);
      if (summary) runs.push(summary);
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

export function newStatus(epochs: number): StatusFile {
  const now = new Date().toISOString();
  return { status: 'running', pid: process.pid, host: hostname(), started: now, updated: now, epoch: 0, epochs, best: null };
}

export const checkpointStateFile = (dir: string): string => join(dir, 'state.json');
