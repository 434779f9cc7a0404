import { loadConfig } from '../config/load.js';
import { ExpmanError } from '../errors.js';
import { freshModelName } from '../training/run-folder.js';
import { readStatus } from '../training/run-store.js';
import { startWorker, type WorkerHandle } from '../training/supervisor.js';
import { resolveWorkerRuntime, type WorkerRuntime } from '../training/worker-runtime.js';
import { checkName, exists, paths, type Workspace } from '../workspace.js';
import type { RunEvent } from '../../shared/run-events.js';
import type { JobInfo, JobState } from '../../shared/runs.js';
import type { EventPayloads, JobsState } from '../../shared/api.js';
import { Batcher } from './batcher.js';

export type Emit = <E extends keyof EventPayloads>(channel: E, payload: EventPayloads[E]) => void;

export interface RunManagerOptions {
  emit: Emit;
  /** How often a job's events and log lines are delivered: 100 ms → at most 10 + 10 messages/s per run. */
  flushIntervalMs?: number;
  concurrency?: number;
  /** Which Node.js trains; default: core's resolveWorkerRuntime for the run's `runtime.node`. */
  runtime?: (configuredNode: string) => WorkerRuntime;
}

export interface StartRequest {
  experiment: string;
  model?: string;
  overrides: string[];
}

interface Job {
  info: JobInfo;
  ws: Workspace;
  args: string[];
  runtime: WorkerRuntime;
  handle?: WorkerHandle;
  stopRequested: boolean;
  done: Promise<void>;
  resolveDone: () => void;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['finished', 'failed', 'stopped']);

/**
 * The training queue the desktop app and `expman ui` supervise: jobs wait until a slot is free
 * (concurrency, default 1), then run as `expman train --json` in a plain Node.js child process. Each job's
 * events and output lines are batched to the UI; its end is always reported with exit code and signal.
 * Runs keep going (and logging to their folder) whether or not any window is watching.
 */
export class RunManager {
  private readonly jobs: Job[] = [];
  private concurrency: number;
  private nextId = 1;
  private readonly emit: Emit;
  private readonly flushIntervalMs: number;
  private readonly runtimeFor: (configuredNode: string) => WorkerRuntime;

  constructor(options: RunManagerOptions) {
    this.emit = options.emit;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.concurrency = options.concurrency ?? 1;
    this.runtimeFor = options.runtime ?? ((node) => resolveWorkerRuntime(node));
  }

  state(): JobsState {
    return { jobs: this.jobs.map((j) => ({ ...j.info })), concurrency: this.concurrency };
  }

  setConcurrency(concurrency: number): JobsState {
    this.concurrency = concurrency;
    this.pump();
    this.changed();
    return this.state();
  }

  /** Jobs queued or running. */
  active(): JobInfo[] {
    return this.jobs.filter((j) => !TERMINAL.has(j.info.state)).map((j) => ({ ...j.info }));
  }

  /**
   * Queues a new run. The configuration is resolved now, so an invalid experiment config or override is
   * reported to the caller at once (with file, line and key) instead of failing later in the queue.
   */
  async start(ws: Workspace, request: StartRequest): Promise<JobInfo> {
    checkName('experiment', request.experiment);
    const config = await loadConfig(ws, { experiment: request.experiment, overrides: request.overrides });
    let model = request.model;
    if (model !== undefined) {
      checkName('model', model);
      if ((await exists(paths.modelDir(ws, request.experiment, model))) || this.claimed(ws, request.experiment, model)) {
        throw new ExpmanError('RUN_EXISTS', `run ${request.experiment}/${model} already exists; choose another name`, { key: 'model' });
      }
    } else {
      model = await freshModelName(ws, request.experiment);
      for (let i = 2; this.claimed(ws, request.experiment, model); i++) model = `${await freshModelName(ws, request.experiment)}-q${i}`;
    }
    const runtime = this.runtimeFor(config.values['runtime.node']);
    const args = ['train', '--data', ws.root, '--experiment', request.experiment, '--model', model];
    for (const override of request.overrides) args.push('--set', override);
    return this.enqueue(ws, { experiment: request.experiment, model }, 'train', args, runtime);
  }

  /** Queues the continuation of a stopped or crashed run from its last complete checkpoint. */
  async resume(ws: Workspace, run: { experiment: string; model: string }): Promise<JobInfo> {
    const dir = paths.modelDir(ws, run.experiment, run.model);
    const status = await readStatus(dir);
    if (!status) throw new ExpmanError('RUN_MISSING', `no run ${run.experiment}/${run.model} in ${ws.root}`, { file: dir });
    if (this.claimed(ws, run.experiment, run.model)) {
      throw new ExpmanError('USAGE', `run ${run.experiment}/${run.model} is already queued or running`);
    }
    if (status.status === 'finished') throw new ExpmanError('USAGE', `run ${run.experiment}/${run.model} has finished; clone it to train again`);
    const config = await loadConfig(ws, { experiment: run.experiment, overrides: [] });
    const runtime = this.runtimeFor(config.values['runtime.node']);
    return this.enqueue(ws, run, 'resume', ['train', '--resume', dir], runtime);
  }

  /** Queues a new run trained from a run's saved config.toml (`expman rerun`): `<model>-rerun-<n>`. */
  async rerun(ws: Workspace, run: { experiment: string; model: string }): Promise<JobInfo> {
    const dir = paths.modelDir(ws, run.experiment, run.model);
    if (!(await readStatus(dir))) throw new ExpmanError('RUN_MISSING', `no run ${run.experiment}/${run.model} in ${ws.root}`, { file: dir });
    let n = 1;
    let model: string;
    do model = `${run.model}-rerun-${n++}`;
    while ((await exists(paths.modelDir(ws, run.experiment, model))) || this.claimed(ws, run.experiment, model));
    const config = await loadConfig(ws, { experiment: run.experiment, overrides: [] });
    const runtime = this.runtimeFor(config.values['runtime.node']);
    return this.enqueue(ws, { experiment: run.experiment, model }, 'rerun', ['rerun', dir, '--model', model], runtime);
  }

  /** Stops a job: a queued job leaves the queue; a running one stops after its current batch (SIGTERM). */
  stop(jobId: string): JobInfo {
    const job = this.jobs.find((j) => j.info.id === jobId);
    if (!job) throw new ExpmanError('USAGE', `no job ${JSON.stringify(jobId)}`, { key: 'jobId' });
    if (job.info.state === 'queued') {
      this.finish(job, 'stopped', { code: null, signal: null });
    } else if (job.info.state === 'running') {
      job.stopRequested = true;
      job.handle?.stop();
    }
    return { ...job.info };
  }

  /** Stops every job (queued ones at once, running ones gracefully) and waits until all have ended. */
  async stopAll(): Promise<void> {
    for (const job of this.jobs) if (!TERMINAL.has(job.info.state)) this.stop(job.info.id);
    await Promise.all(this.jobs.map((j) => j.done));
  }

  private claimed(ws: Workspace, experiment: string, model: string): boolean {
    return this.jobs.some(
      (j) => !TERMINAL.has(j.info.state) && j.ws.root === ws.root && j.info.run.experiment === experiment && j.info.run.model === model,
    );
  }

  private enqueue(ws: Workspace, run: { experiment: string; model: string }, kind: JobInfo['kind'], args: string[], runtime: WorkerRuntime): JobInfo {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const job: Job = {
      info: { id: `job-${this.nextId++}`, run: { ...run }, kind, state: 'queued', queuedAt: new Date().toISOString() },
      ws,
      args,
      runtime,
      stopRequested: false,
      done,
      resolveDone,
    };
    this.jobs.push(job);
    this.pump();
    this.changed();
    return { ...job.info };
  }

  private pump(): void {
    let running = this.jobs.filter((j) => j.info.state === 'running').length;
    for (const job of this.jobs) {
      if (running >= this.concurrency) break;
      if (job.info.state !== 'queued') continue;
      this.launch(job);
      running++;
    }
  }

  private launch(job: Job): void {
    const { experiment, model } = job.info.run;
    const events = new Batcher<RunEvent>((batch) => this.emit('runs:event', { jobId: job.info.id, experiment, model, events: batch }), this.flushIntervalMs);
    const lines = new Batcher<string>((batch) => this.emit('log:lines', { jobId: job.info.id, experiment, model, lines: batch }), this.flushIntervalMs);
    job.info.state = 'running';
    job.info.startedAt = new Date().toISOString();
    const handle = startWorker({
      args: job.args,
      node: job.runtime.node,
      env: job.runtime.env,
      onEvent: (event) => {
        if (event.event === 'run_started') job.info.epochs = event.epochs;
        if (event.event === 'epoch_end') {
          job.info.epoch = event.epoch;
          job.info.epochs = event.epochs;
        }
        events.push(event);
      },
      onLog: (line) => lines.push(line),
    });
    job.handle = handle;
    job.info.pid = handle.pid;
    void handle.exited.then((exit) => {
      events.flush();
      lines.flush();
      const state: JobState =
        exit.code === 0 ? 'finished' : job.stopRequested || exit.code === 130 || exit.code === 143 ? 'stopped' : 'failed';
      if (exit.error) job.info.error = exit.error;
      else if (state === 'failed') job.info.error = { code: 'WORKER_FAILED', message: `training process ended with ${exit.signal ?? `exit code ${exit.code}`}` };
      this.finish(job, state, { code: exit.code, signal: exit.signal });
    });
    this.changed();
  }

  private finish(job: Job, state: JobState, exit: { code: number | null; signal: string | null }): void {
    job.info.state = state;
    job.info.exit = exit;
    job.info.endedAt = new Date().toISOString();
    const { experiment, model } = job.info.run;
    this.emit('runs:exited', {
      jobId: job.info.id,
      experiment,
      model,
      state: state as 'finished' | 'failed' | 'stopped',
      code: exit.code,
      signal: exit.signal,
      ...(job.info.error ? { error: job.info.error } : {}),
    });
    job.resolveDone();
    this.pump();
    this.changed();
  }

  private changed(): void {
    this.emit('jobs:changed', this.state());
  }
}
