import { rerunModuleOptions } from '../models/module-run.js';
import { loadConfig } from '../config/load.js';
import { ExpmanError } from '../errors.js';
import { FOLLOW_LOCK_NAME, liveLock, lockedError, lockLiveness, readLock } from '../runs/lock.js';
import { DEFAULT_STOP_GRACE_MS, escalateStop, markEnded, stopLiveRun, type StopOptions, type StopOutcome } from '../runs/stop.js';
import { freshModelName, readRunConfig } from '../training/run-folder.js';
import { listRunFolders, readStatus } from '../training/run-store.js';
import { prepareRun } from '../training/train.js';
import { rerunCommandOptions, workerStopGraceMs } from '../trainers/command-spec.js';
import { attachRun, placeRun, type Placement, type PlacementOptions } from '../executors/select.js';
import { readExecutorRecord, readExecutorRecordSync, type ExecHandle, type LaunchRequest } from '../executors/executor.js';
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
  /** Stop: SIGTERM, then SIGKILL after this long (default 10 s). */
  stopGraceMs?: number;
  /** How executors other than local are driven (Slurm's poll interval and environment). */
  placement?: PlacementOptions;
}

export interface StartRequest {
  experiment: string;
  model?: string;
  overrides: string[];
  /** A trial of a sweep (tags the run's provenance). */
  sweep?: { name: string; trial: number };
}

interface Job {
  info: JobInfo;
  ws: Workspace;
  /** The run folder the job trains. */
  dir: string;
  runtime: WorkerRuntime;
  /** Where the worker executes (runtime.executor / runtime.target of the run's config). */
  placement: Placement;
  /** The launch in progress or done: a Slurm submission takes a moment. */
  handle?: Promise<ExecHandle | null>;
  stopRequested: boolean;
  /** The stop in progress (SIGTERM → SIGKILL), once asked. */
  stopping?: Promise<StopOutcome>;
  /** SIGTERM → SIGKILL grace of the worker: longer than its command's own (command runs). */
  graceMs: number;
  done: Promise<void>;
  resolveDone: () => void;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['finished', 'failed', 'stopped']);

/**
 * The training queue the desktop app and `expman ui` supervise. A request is resolved and snapshotted at
 * once: the run folder is created with status `queued` and its completed config.toml, so the run trains
 * exactly what was asked for even if the experiment's config changes while it waits. When a slot is free
 * (concurrency, default 1) the folder is trained by `expman train --resume <dir> --json` in a plain
 * Node.js child process of its own session: it survives this process (crash, restart), and a later
 * server finds it again through the run's lock (`stopRun`). Each job's events and output lines are
 * batched to the UI; its end is always reported with exit code and signal, and a crash's stderr tail.
 * A queued job that is stopped ends as a `stopped` run folder (it can be started later with resume).
 */
export class RunManager {
  private readonly jobs: Job[] = [];
  private concurrency: number;
  private nextId = 1;
  private readonly emit: Emit;
  private readonly flushIntervalMs: number;
  private readonly runtimeFor: (configuredNode: string) => WorkerRuntime;
  private readonly stopGraceMs: number;

  constructor(options: RunManagerOptions) {
    this.emit = options.emit;
    this.flushIntervalMs = options.flushIntervalMs ?? 100;
    this.concurrency = options.concurrency ?? 1;
    this.runtimeFor = options.runtime ?? ((node) => resolveWorkerRuntime(node));
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.placement = options.placement ?? {};
  }

  private readonly placement: PlacementOptions;

  /** The run's executor, checked (target known, the scheduler would take it) before anything is written. */
  private async place(ws: Workspace, config: { values: Parameters<typeof placeRun>[1] }, runtime: WorkerRuntime): Promise<Placement> {
    const placement = await placeRun(ws, config.values, this.placement);
    await placement.validate(runtime);
    return placement;
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
   * reported to the caller at once (with file, line and key) instead of failing later in the queue, and
   * it is saved in the new run folder: that snapshot is what trains.
   */
  async start(ws: Workspace, request: StartRequest): Promise<JobInfo> {
    const run = await this.prepare(ws, request);
    return this.enqueue(ws, { experiment: request.experiment, model: run.model }, run.dir, 'train', run.runtime, run.placement, run.graceMs);
  }

  /**
   * Creates a run folder (`queued`, with its config snapshot) as `start` does, without queuing it:
   * `startArray` starts many such runs at once. Until then the run waits for nobody (readers show a
   * created run whose creator has gone as `stopped`, and `resume` trains it). `checked`: the caller has
   * asked the scheduler already (`arrayable`), so a sweep of 200 trials runs sbatch --test-only once.
   */
  async create(ws: Workspace, request: StartRequest, options: { checked?: boolean } = {}): Promise<{ experiment: string; model: string; dir: string }> {
    const run = await this.prepare(ws, request, !options.checked);
    return { experiment: request.experiment, model: run.model, dir: run.dir };
  }

  /**
   * Whether runs of this request would go to an executor that starts many runs as one submission (a Slurm
   * job array); for one that does, whether it would take them is checked now (sbatch --test-only), before
   * any run folder exists.
   */
  async arrayable(ws: Workspace, request: Pick<StartRequest, 'experiment' | 'overrides'>): Promise<boolean> {
    const config = await loadConfig(ws, { experiment: request.experiment, overrides: request.overrides });
    const placement = await placeRun(ws, config.values, this.placement);
    if (!placement.executor.launchArray) return false;
    await placement.validate(this.runtimeFor(config.values['runtime.node']));
    return true;
  }

  /**
   * Starts created (`queued`) or interrupted (stopped, crashed) runs together: runs whose executor has
   * arrays, on the same target with the same worker runtime, go as one submission that runs at most
   * `limit` at once (one Slurm job array, `--array=0-(N-1)%limit`); any others are queued one by one as
   * `resume` does. Each run is a job of its own here (stop, state, events), as if started alone.
   */
  async startArray(ws: Workspace, runs: ReadonlyArray<{ experiment: string; model: string }>, limit: number): Promise<JobInfo[]> {
    // Every run is checked before any job exists: a refusal starts none of them.
    const planned: Array<{ run: { experiment: string; model: string }; dir: string; kind: JobInfo['kind']; runtime: WorkerRuntime; placement: Placement; graceMs: number; key: string }> = [];
    const checked = new Set<string>();
    for (const run of runs) {
      const dir = paths.modelDir(ws, run.experiment, run.model);
      const status = await readStatus(dir);
      if (!status) throw new ExpmanError('RUN_MISSING', `no run ${run.experiment}/${run.model} in ${ws.root}`, { file: dir });
      this.refuseIfBusy(ws, run, 'cannot start');
      if (status.status === 'finished') throw new ExpmanError('RUN_FINISHED', `run ${run.experiment}/${run.model} has finished; clone it to train again`, { file: dir });
      const { config } = await readRunConfig(dir);
      const runtime = this.runtimeFor(config.values['runtime.node']);
      const placement = await placeRun(ws, config.values, this.placement);
      const key = `${placement.executor.kind}\0${placement.target?.name ?? ''}\0${JSON.stringify(runtime)}`;
      // The scheduler is asked once per kind of submission (sbatch --test-only), not once per run.
      if (!checked.has(key)) {
        await placement.validate(runtime);
        checked.add(key);
      }
      planned.push({ run: { ...run }, dir, kind: status.status === 'queued' ? 'train' : 'resume', runtime, placement, graceMs: workerStopGraceMs(config.values, this.stopGraceMs), key });
    }
    const groups = new Map<string, Job[]>();
    const jobs = planned.map((p) => {
      const job = this.newJob(ws, p.run, p.dir, p.kind, p.runtime, p.placement, p.graceMs);
      // The others stay queued: pump() launches them one by one, as `resume` would.
      if (p.placement.executor.launchArray) groups.set(p.key, [...(groups.get(p.key) ?? []), job]);
      return job;
    });
    for (const group of groups.values()) this.followArray(group, limit);
    this.pump();
    this.changed();
    return jobs.map((j) => ({ ...j.info }));
  }

  /** Prepares a new run's folder (`queued`) and what launching it needs; nothing is queued. */
  private async prepare(ws: Workspace, request: StartRequest, validate = true): Promise<{ model: string; dir: string; runtime: WorkerRuntime; placement: Placement; graceMs: number }> {
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
    const placement = validate ? await this.place(ws, config, runtime) : await placeRun(ws, config.values, this.placement);
    const commandLine = ['expman', 'train', '--data', ws.root, '--experiment', request.experiment, '--model', model, ...request.overrides.flatMap((o) => ['--set', o])];
    const run = await prepareRun(ws, { experiment: request.experiment, model, config, commandLine, ...(request.sweep ? { sweep: request.sweep } : {}) }, 'queued');
    // Queued runs hold no lock: the worker takes it when it starts.
    run.lock.release();
    return { model, dir: run.dir, runtime, placement, graceMs: workerStopGraceMs(config.values, this.stopGraceMs) };
  }

  /** Queues the continuation of a stopped or crashed run from its last complete checkpoint. */
  async resume(ws: Workspace, run: { experiment: string; model: string }): Promise<JobInfo> {
    const dir = paths.modelDir(ws, run.experiment, run.model);
    const status = await readStatus(dir);
    if (!status) throw new ExpmanError('RUN_MISSING', `no run ${run.experiment}/${run.model} in ${ws.root}`, { file: dir });
    this.refuseIfBusy(ws, run, 'cannot resume');
    if (status.status === 'finished') throw new ExpmanError('RUN_FINISHED', `run ${run.experiment}/${run.model} has finished; clone it to train again`, { file: dir });
    // The Node.js the run was configured with, not whatever the experiment says now.
    const { config } = await readRunConfig(dir);
    const runtime = this.runtimeFor(config.values['runtime.node']);
    const placement = await this.place(ws, config, runtime);
    return this.enqueue(ws, run, dir, 'resume', runtime, placement, workerStopGraceMs(config.values, this.stopGraceMs));
  }

  /** Queues a new run trained from a run's saved config.toml (`expman rerun`): `<model>-rerun-<n>`. */
  async rerun(ws: Workspace, run: { experiment: string; model: string }): Promise<JobInfo> {
    const source = paths.modelDir(ws, run.experiment, run.model);
    if (!(await readStatus(source))) throw new ExpmanError('RUN_MISSING', `no run ${run.experiment}/${run.model} in ${ws.root}`, { file: source });
    let n = 1;
    let model: string;
    do model = `${run.model}-rerun-${n++}`;
    while ((await exists(paths.modelDir(ws, run.experiment, model))) || this.claimed(ws, run.experiment, model));
    const { config, provenance } = await readRunConfig(source);
    const runtime = this.runtimeFor(config.values['runtime.node']);
    const placement = await this.place(ws, config, runtime);
    const prepared = await prepareRun(
      ws,
      { experiment: run.experiment, model, config, commandLine: ['expman', 'rerun', source, '--model', model], rerunOf: source, ...(provenance.dataset_hashes ? { expectDatasetHashes: provenance.dataset_hashes } : {}), ...rerunModuleOptions(source, provenance), ...rerunCommandOptions(source, provenance) },
      'queued',
    );
    prepared.lock.release();
    return this.enqueue(ws, { experiment: run.experiment, model }, prepared.dir, 'rerun', runtime, placement, workerStopGraceMs(config.values, this.stopGraceMs));
  }

  /**
   * Stops a job: a queued job leaves the queue (its run folder ends `stopped`); a running one is asked to
   * stop after its current batch (SIGTERM) and killed (SIGKILL) if it has not ended after the grace period.
   */
  stop(jobId: string, options: StopOptions = {}): JobInfo {
    const job = this.jobs.find((j) => j.info.id === jobId);
    if (!job) throw new ExpmanError('JOB_MISSING', `no job ${JSON.stringify(jobId)}`, { key: 'jobId' });
    if (job.info.state === 'queued') {
      job.stopRequested = true;
      void markEnded(job.dir, 'stopped', 'stopped while queued: it never started');
      this.finish(job, 'stopped', { code: null, signal: null });
    } else if (job.info.state === 'running') {
      // Not awaited: the job's exit reports the end; escalateStop itself never rejects.
      void this.stopJob(job, options);
    }
    return { ...job.info };
  }

  /**
   * Stops a run live on this host: through its job when this manager runs it, else — a run a previous
   * server or the CLI started — through its lock (pid verified against the process start time). Resolves
   * when the process has ended (bounded by the grace period plus SIGKILL's).
   */
  async stopRun(ws: Workspace, run: { experiment: string; model: string }, options: StopOptions = {}): Promise<StopOutcome> {
    const job = this.jobs.find((j) => j.info.state !== 'finished' && j.info.state !== 'failed' && j.info.state !== 'stopped' && j.ws.root === ws.root && j.info.run.experiment === run.experiment && j.info.run.model === run.model);
    if (job?.info.state === 'queued') {
      this.stop(job.info.id);
      return { signal: 'SIGTERM', ended: true };
    }
    if (job?.info.state === 'running') {
      const outcome = await this.stopJob(job, options);
      await job.done;
      return outcome;
    }
    const dir = paths.modelDir(ws, run.experiment, run.model);
    // A run on a target that another process launched (a Slurm job still pending, a run on an SSH host):
    // stopped where it is, through its executor, unless its worker is a process of this host anyway.
    const record = await readExecutorRecord(dir);
    const saved = await readRunConfig(dir).catch(() => null);
    const graceMs = saved ? workerStopGraceMs(saved.config.values, this.stopGraceMs) : this.stopGraceMs;
    if (record?.job_id && lockLiveness(readLock(dir)) !== 'here') {
      const handle = await attachRun(ws, dir, {}, this.placement);
      const outcome = await escalateStop({ stop: () => handle.stop(), kill: () => handle.kill(), ended: handle.ended }, { graceMs, ...options });
      await handle.ended;
      return outcome;
    }
    return stopLiveRun(dir, { graceMs, ...options });
  }

  /**
   * Follows again the runs of a data folder that execute on a target (an `executor.json` with a job: an
   * SSH host, a Slurm job) and are still open here (`queued`/`running`): after the app or server restarted,
   * nobody else streams their events into this folder, brings their files home or can stop them from the
   * UI. Each becomes a job of kind `attach`, as if launched here. A run this manager already follows is
   * left alone (one follower per run: two would append the same remote lines twice); one whose target is
   * gone from targets.toml is reported in `skipped` and left as it is.
   */
  async adopt(ws: Workspace): Promise<{ adopted: JobInfo[]; skipped: Array<{ experiment: string; model: string; message: string }> }> {
    const adopted: JobInfo[] = [];
    const skipped: Array<{ experiment: string; model: string; message: string }> = [];
    for (const run of await listRunFolders(ws)) {
      const result = await this.adoptRun(ws, run);
      if (result && 'skipped' in result) skipped.push({ experiment: run.experiment, model: run.model, message: result.skipped });
      else if (result) adopted.push(result);
    }
    if (adopted.length > 0) this.changed();
    return { adopted, skipped };
  }

  /**
   * Follows again one run that executes on a target, as `adopt` does (a sweep resumed after its
   * controller died: its trials' Slurm jobs still wait or run). Whether it is followed now: by this
   * manager (already, or from now on) or by another process; false when it holds no open job.
   */
  async attach(ws: Workspace, run: { experiment: string; model: string }): Promise<boolean> {
    if (this.claimed(ws, run.experiment, run.model)) return true;
    const result = await this.adoptRun(ws, { ...run, dir: paths.modelDir(ws, run.experiment, run.model) });
    if (result && 'skipped' in result) {
      // Followed by another process, or its target is gone from targets.toml (that is the user's to fix).
      if (liveLock(paths.modelDir(ws, run.experiment, run.model), FOLLOW_LOCK_NAME)) return true;
      throw new ExpmanError('CONFIG_INVALID', `run ${run.experiment}/${run.model} cannot be followed again: ${result.skipped}`, { file: paths.modelDir(ws, run.experiment, run.model) });
    }
    if (result) this.changed();
    return result !== null;
  }

  /** adopt() for one run folder: its new job, why it is left alone, or null when there is nothing to follow. */
  private async adoptRun(ws: Workspace, run: { experiment: string; model: string; dir: string }): Promise<JobInfo | { skipped: string } | null> {
    // One existsSync per run folder without a record: cheap over thousands of local runs.
    if (!readExecutorRecordSync(run.dir)?.job_id || this.claimed(ws, run.experiment, run.model)) return null;
    // Another process follows it (an `expman train` in a terminal, another app): its follower keeps it.
    const other = liveLock(run.dir, FOLLOW_LOCK_NAME);
    if (other) return { skipped: lockedError(run.dir, other, 'not followed here').message };
    const status = await readStatus(run.dir);
    if (status?.status !== 'queued' && status?.status !== 'running') return null;
    let placement: Placement;
    let runtime: WorkerRuntime;
    let graceMs: number;
    try {
      const { config } = await readRunConfig(run.dir);
      placement = await placeRun(ws, config.values, this.placement);
      runtime = this.runtimeFor(config.values['runtime.node']);
      graceMs = workerStopGraceMs(config.values, this.stopGraceMs);
    } catch (error) {
      return { skipped: error instanceof Error ? error.message : String(error) };
    }
    // Checked again with no await before the job is listed: an adopt running at the same time (startup
    // and a folder switch) or a launch may have claimed the run meanwhile.
    if (this.claimed(ws, run.experiment, run.model)) return null;
    const job = this.newJob(ws, { experiment: run.experiment, model: run.model }, run.dir, 'attach', runtime, placement, graceMs);
    this.follow(job, (request) => attachRun(ws, run.dir, request, this.placement));
    return { ...job.info };
  }


  /** Stops every job (queued ones at once, running ones with SIGTERM → SIGKILL); bounded, never hangs. */
  async stopAll(options: StopOptions = {}): Promise<void> {
    for (const job of this.jobs) if (!TERMINAL.has(job.info.state)) this.stop(job.info.id, options);
    await Promise.all(this.jobs.map((j) => j.stopping ?? Promise.resolve()));
    // A process that outlived SIGKILL's bound (stuck in the kernel) must not hold up quitting.
    const bound = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    await Promise.race([Promise.all(this.jobs.map((j) => j.done)), bound]);
  }

  private stopJob(job: Job, options: StopOptions): Promise<StopOutcome> {
    job.stopRequested = true;
    job.stopping ??= job.handle!.then((handle) =>
      handle ? escalateStop({ stop: () => handle.stop(), kill: () => handle.kill(), ended: handle.ended }, { graceMs: job.graceMs, ...options }) : { signal: 'SIGTERM' as const, ended: true },
    );
    return job.stopping;
  }

  /** RUN_LOCKED when this manager already has a job for the run or another process writes it. */
  private refuseIfBusy(ws: Workspace, run: { experiment: string; model: string }, what: string): void {
    const dir = paths.modelDir(ws, run.experiment, run.model);
    const job = this.jobs.find((j) => !TERMINAL.has(j.info.state) && j.ws.root === ws.root && j.info.run.experiment === run.experiment && j.info.run.model === run.model);
    if (job) {
      throw new ExpmanError('RUN_LOCKED', `${what}: run ${run.experiment}/${run.model} is already ${job.info.state}${job.info.pid ? ` (pid ${job.info.pid})` : ''}`, { file: dir, ...(job.info.pid ? { pid: job.info.pid } : {}) });
    }
    const lock = liveLock(dir);
    if (lock) throw lockedError(dir, lock, what);
  }

  private claimed(ws: Workspace, experiment: string, model: string): boolean {
    return this.jobs.some(
      (j) => !TERMINAL.has(j.info.state) && j.ws.root === ws.root && j.info.run.experiment === experiment && j.info.run.model === model,
    );
  }

  private enqueue(ws: Workspace, run: { experiment: string; model: string }, dir: string, kind: JobInfo['kind'], runtime: WorkerRuntime, placement: Placement, graceMs: number): JobInfo {
    const job = this.newJob(ws, run, dir, kind, runtime, placement, graceMs);
    this.pump();
    this.changed();
    return { ...job.info };
  }

  /** A queued job in the list (listed at once, so `claimed` sees it). */
  private newJob(ws: Workspace, run: { experiment: string; model: string }, dir: string, kind: JobInfo['kind'], runtime: WorkerRuntime, placement: Placement, graceMs: number): Job {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const job: Job = {
      info: {
        id: `job-${this.nextId++}`,
        run: { ...run },
        kind,
        state: 'queued',
        queuedAt: new Date().toISOString(),
        executor: placement.executor.kind,
        ...(placement.target ? { target: placement.target.name } : {}),
      },
      ws,
      dir,
      runtime,
      placement,
      graceMs,
      stopRequested: false,
      done,
      resolveDone,
    };
    this.jobs.push(job);
    return job;
  }

  /**
   * Starts queued jobs while slots are free. Slots limit this machine's workers only: a job for a cluster
   * or another host is handed over at once (its scheduler queues it; waiting here would hide it).
   */
  private pump(): void {
    const local = (j: Job): boolean => j.placement.executor.kind === 'local';
    let running = this.jobs.filter((j) => j.info.state === 'running' && local(j)).length;
    for (const job of this.jobs) {
      if (job.info.state !== 'queued') continue;
      if (!local(job)) {
        this.launch(job);
        continue;
      }
      if (running >= this.concurrency) continue;
      this.launch(job);
      running++;
    }
  }

  private launch(job: Job): void {
    // Every kind trains a run folder — a queued one from its snapshot, a stopped one from its checkpoint —
    // with the worker `expman train --resume <dir>`; the executor decides where it starts.
    this.follow(job, (request) => job.placement.executor.launch({ dir: job.dir, runtime: job.runtime, ...request }));
  }

  /**
   * Launches jobs (queued, one executor, target and runtime) as one submission of their executor's
   * launchArray; each job then follows its own handle as a launched job does.
   */
  private followArray(jobs: Job[], limit: number): void {
    const executor = jobs[0]!.placement.executor;
    const requests: LaunchRequest[] = [];
    let settle!: { resolve: (handles: ExecHandle[]) => void; reject: (error: unknown) => void };
    const handles = new Promise<ExecHandle[]>((resolve, reject) => (settle = { resolve, reject }));
    // follow() builds each job's request (its event and log batchers) at once, before the one submission.
    for (const [i, job] of jobs.entries()) {
      this.follow(job, (request) => {
        requests[i] = { dir: job.dir, runtime: job.runtime, ...request };
        return handles.then((all) => all[i]!);
      });
    }
    executor.launchArray!(requests, limit).then(settle.resolve, settle.reject);
  }

  /** Runs a job from its executor's handle (a launch, or an attach to a run already executing) to its end. */
  private follow(job: Job, start: (request: Pick<LaunchRequest, 'onEvent' | 'onLog' | 'onState'>) => Promise<ExecHandle>): void {
    const { experiment, model } = job.info.run;
    const events = new Batcher<RunEvent>((batch) => this.emit('runs:event', { jobId: job.info.id, experiment, model, events: batch }), this.flushIntervalMs);
    const lines = new Batcher<string>((batch) => this.emit('log:lines', { jobId: job.info.id, experiment, model, lines: batch }), this.flushIntervalMs);
    job.info.state = 'running';
    job.info.startedAt = new Date().toISOString();
    const launched = start({
      onEvent: (event) => {
        if (event.event === 'run_started') job.info.epochs = event.epochs;
        if (event.event === 'epoch_end') {
          job.info.epoch = event.epoch;
          job.info.epochs = event.epochs;
        }
        events.push(event);
      },
      onLog: (line) => lines.push(line),
      onState: (state) => {
        job.info.where = state.detail;
        this.changed();
      },
    });
    job.handle = launched.then(
      (handle) => handle,
      () => null,
    );
    void launched.then(
      async (handle) => {
        if (handle.pid !== undefined) job.info.pid = handle.pid;
        this.changed();
        const end = await handle.ended;
        events.flush();
        lines.flush();
        if (end.error) job.info.error = end.error;
        this.finish(job, end.state, { code: end.code, signal: end.signal });
      },
      (error: unknown) => {
        // The executor refused the launch (sbatch rejected the job): it has recorded the failure in the run.
        // (An attach that cannot start changes nothing there; the job says why.)
        lines.flush();
        job.info.error = { code: error instanceof ExpmanError ? error.code : 'WORKER_FAILED', message: error instanceof Error ? error.message : String(error) };
        this.finish(job, 'failed', { code: null, signal: null });
      },
    );
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
