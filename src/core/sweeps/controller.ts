import { promises as fs } from 'node:fs';
import { ExpmanError, isExpmanError } from '../errors.js';
import { acquireRunLock, type RunLock } from '../runs/lock.js';
import { readEventTail } from '../runs/event-tail.js';
import { readRunState } from '../training/run-store.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import type { SweepState, TrialRecord, TrialStatus } from '../../shared/sweeps.js';
import type { SweepDefinition } from './definition.js';
import { markPruned, type ArrayLauncher, type TrialLauncher, type TrialRequest } from './launcher.js';
import { bestUpTo, pruneDecision, type PrunerSpec } from './pruners.js';
import { proposePoint } from './samplers.js';
import { paramOverrides, type Params } from './space.js';
import { clearStopRequest, readDefinition, readState, readTrials, stopRequested, writeState, writeTrials } from './sweep-store.js';
import type { Observation } from './tpe.js';

export interface SweepProgress {
  state: SweepState;
  trials: readonly TrialRecord[];
  /** Points the budget allows (null: time budget only). */
  budget: number | null;
}

export interface DriveOptions {
  launcher: TrialLauncher;
  /** How often run folders are read (status.json, new metrics.jsonl lines). Default 500 ms. */
  pollMs?: number;
  /** Aborting stops the sweep like `sweep stop`: running trials are stopped (resumable), the sweep is `stopped`. */
  signal?: AbortSignal;
  onProgress?: (progress: SweepProgress) => void;
  /** Who drives it, for the sweep's lock. */
  command?: string;
}

/** Refusals that are about the data folder, not the trial: they stop the sweep. */
const FOLDER_ERRORS: ReadonlySet<string> = new Set(['RUN_EXISTS', 'DISK_FULL', 'NOT_WRITABLE', 'DATA_DIR', 'DATASET_MISSING', 'DATASET_CHANGED']);

const ENDED: ReadonlySet<TrialStatus> = new Set(['finished', 'failed', 'pruned']);
const ACTIVE: ReadonlySet<TrialStatus> = new Set(['queued', 'running']);

/** What the controller keeps per trial between polls: its learning curve, read incrementally. */
interface Watch {
  offset: number;
  curve: Map<number, number>;
  /** Numeric fields seen in its epoch_end lines (to name them when the metric is not among them). */
  fields: Set<string>;
  /** Epochs the pruner has already judged. */
  checkedUpTo: number;
}

/** Names a trial's run: `<sweep>-t0007`. Fixed by the trial number, so a resumed sweep finds its runs. */
export function trialRunName(sweep: string, trial: number): string {
  return `${sweep}-t${String(trial).padStart(4, '0')}`;
}

/** The objective of a point: the mean of its trials' values (repeats over seeds); undefined until all ended. */
function pointValues(trials: readonly TrialRecord[]): Map<number, { params: Params; value: number | undefined; ended: boolean }> {
  const points = new Map<number, { params: Params; values: number[]; ended: boolean }>();
  for (const t of trials) {
    const p = points.get(t.point) ?? { params: t.params, values: [], ended: true };
    if (!ENDED.has(t.status)) p.ended = false;
    if (t.value !== undefined && (t.status === 'finished' || t.status === 'pruned')) p.values.push(t.value);
    points.set(t.point, p);
  }
  const out = new Map<number, { params: Params; value: number | undefined; ended: boolean }>();
  for (const [k, p] of points) out.set(k, { params: p.params, ended: p.ended, value: p.values.length ? p.values.reduce((a, b) => a + b, 0) / p.values.length : undefined });
  return out;
}

/** The best trial so far (by its own value), for status lines and the view. */
export function bestTrial(trials: readonly TrialRecord[], goal: 'minimize' | 'maximize'): TrialRecord | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.value === undefined || t.status !== 'finished') continue;
    if (!best || (goal === 'minimize' ? t.value < best.value! : t.value > best.value!)) best = t;
  }
  return best;
}

/**
 * Drives a sweep until its budget is spent, its grid exhausted, or it is stopped: proposes points, creates
 * their runs through the launcher, follows the runs' folders, prunes, and records everything in the sweep
 * folder. Holds the sweep's lock meanwhile (a second controller gets RUN_LOCKED). Called for a new sweep and
 * to resume one: trials whose runs were interrupted are resumed in their folders, trials recorded but never
 * created are created, and no trial is proposed twice.
 */
export async function driveSweep(ws: Workspace, dir: string, options: DriveOptions): Promise<SweepState> {
  let lock: RunLock;
  try {
    lock = acquireRunLock(dir, { command: options.command ?? process.argv.slice(1).join(' '), refusal: 'cannot drive the sweep' });
  } catch (error) {
    if (isExpmanError(error) && error.code === 'RUN_LOCKED') throw new ExpmanError('RUN_LOCKED', error.message.replace(/run (\S+) is in use/, 'sweep $1 is driven'), error.details);
    throw error;
  }
  try {
    return await new Controller(ws, dir, await readDefinition(dir), await readState(dir), await readTrials(dir), options).run();
  } finally {
    lock.release();
  }
}

class Controller {
  private readonly watches = new Map<number, Watch>();
  private readonly sessionStart = Date.now();
  private readonly pruner: PrunerSpec;
  /** A trial whose run was stopped by something other than this controller. */
  private interrupted: TrialRecord | undefined;
  /**
   * Trials being pruned: their stop runs while the others are followed (a script may take its whole stop
   * grace to end; the other trials' rungs and ends must not wait for it). Their slots stay taken until
   * their process has ended.
   */
  private readonly pruning = new Map<number, Promise<void>>();
  private pruneError: Error | undefined;
  private readonly launcher: TrialLauncher;
  /** Whether this session starts its trials together (one job array); decided at its first launch. */
  private together: ArrayLauncher | null | undefined;

  constructor(
    private readonly ws: Workspace,
    private readonly dir: string,
    private readonly def: SweepDefinition,
    private state: SweepState,
    private readonly trials: TrialRecord[],
    private readonly options: DriveOptions,
  ) {
    this.launcher = options.launcher;
    this.pruner = def.pruner.type === 'asha' ? { ...def.pruner, maxEpochs: def.pruner.maxEpochs ?? Infinity } : def.pruner;
  }

  private runDir(t: TrialRecord): string {
    return paths.modelDir(this.ws, this.def.experiment, t.run);
  }

  private ref(t: TrialRecord) {
    return { experiment: this.def.experiment, model: t.run };
  }

  private elapsed(): number {
    return this.state.elapsed_s + (Date.now() - this.sessionStart) / 1000;
  }

  private async save(): Promise<void> {
    this.state = { ...this.state, updated: new Date().toISOString() };
    await writeTrials(this.dir, this.trials);
    await writeState(this.dir, this.state);
    this.options.onProgress?.({ state: this.state, trials: this.trials, budget: this.def.budget.trials ?? null });
  }

  async run(): Promise<SweepState> {
    await clearStopRequest(this.dir);
    this.state = { ...this.state, status: 'running', session_started: new Date(this.sessionStart).toISOString() };
    delete this.state.reason;
    delete this.state.error;
    const toResume = await this.reconcile();
    await this.save();
    const pollMs = this.options.pollMs ?? 500;
    try {
      for (;;) {
        if (this.options.signal?.aborted || (await stopRequested(this.dir))) {
          await this.stopAll('stopped', 'stopped on request');
          break;
        }
        await this.follow();
        if (this.pruneError) throw this.pruneError;
        if (this.interrupted) {
          // Stopped by someone else: by hand, or by the app quitting (which stops every job). Going on
          // would start new trials in a process that is about to end; the sweep stops, resume continues it.
          await this.stopAll('stopped', `trial ${this.interrupted.trial} (run ${this.interrupted.run}) was stopped outside the sweep`);
          break;
        }
        const failure = this.failure();
        if (failure) {
          await this.stopAll('failed', failure.message, failure);
          break;
        }
        await this.launch(toResume);
        const active = this.trials.filter((t) => ACTIVE.has(t.status) || t.status === 'pending');
        if (active.length === 0 && toResume.length === 0 && !this.canPropose()) {
          // The last trials may have failed in this very launch (every point of a grid refused).
          const last = this.failure();
          if (last) await this.stopAll('failed', last.message, last);
          else this.state = { ...this.state, status: 'finished', reason: this.finishReason() };
          break;
        }
        await this.save();
        await new Promise((r) => setTimeout(r, pollMs));
      }
    } catch (error) {
      // An error of the controller itself (a full disk): the sweep is failed, its runs go on and can be
      // followed again with `sweep resume`.
      this.state = { ...this.state, status: 'failed', error: { code: isExpmanError(error) ? error.code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
      await this.finishSession().catch(() => undefined);
      throw error;
    }
    await this.finishSession();
    return this.state;
  }

  private async finishSession(): Promise<void> {
    this.state = { ...this.state, elapsed_s: this.elapsed() };
    delete this.state.session_started;
    await this.save();
  }

  /** Brings the trials table up to date with the run folders after a stop or crash; returns runs to resume. */
  private async reconcile(): Promise<TrialRecord[]> {
    const resume: TrialRecord[] = [];
    for (const t of this.trials) {
      if (ENDED.has(t.status)) continue;
      const run = await readRunState(this.runDir(t));
      if (!run) {
        // Recorded, never created (or removed): created again from the row.
        t.status = 'pending';
        continue;
      }
      // Epochs judged before the interruption are not judged again (a trial that passed a rung stays).
      const w = await this.readCurve(t);
      w.checkedUpTo = Math.max(0, ...w.curve.keys());
      // Still held by its executor (a Slurm task pending or running, its follower gone with the last
      // controller): followed again, never submitted a second time.
      if ((run.file.status === 'queued' || run.file.status === 'running') && (await this.launcher.reattach?.(this.ws, this.ref(t)))) {
        t.status = run.file.status;
        continue;
      }
      if (run.live) {
        t.status = run.status === 'queued' ? 'queued' : 'running';
        continue;
      }
      if (run.status === 'finished' || run.status === 'pruned' || (run.status === 'failed' && run.file.status === 'failed')) {
        this.ended(t, run.status, run.file.error?.message);
        continue;
      }
      // stopped, queued without its queue, or crashed (status.json still says running): continue it.
      t.status = 'stopped';
      resume.push(t);
    }
    return resume;
  }

  private watch(t: TrialRecord): Watch {
    let w = this.watches.get(t.trial);
    if (!w) {
      w = { offset: 0, curve: new Map(), fields: new Set(), checkedUpTo: 0 };
      this.watches.set(t.trial, w);
    }
    return w;
  }

  /** Reads the run's new metrics.jsonl lines into its curve. */
  private async readCurve(t: TrialRecord): Promise<Watch> {
    const w = this.watch(t);
    const tail = await readEventTail(runFiles.metrics(this.runDir(t)), w.offset);
    if (!tail) return w;
    if (tail.from === 0 && w.offset > 0) w.curve.clear();
    w.offset = tail.offset;
    for (const e of tail.events) {
      if (e.event !== 'epoch_end') continue;
      const fields = e as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(fields)) if (typeof v === 'number') w.fields.add(k);
      const value = fields[this.def.metric];
      if (typeof value === 'number') w.curve.set(e.epoch, value);
    }
    if (w.curve.size) {
      t.epoch = Math.max(...w.curve.keys());
      t.value = bestUpTo(w.curve, Infinity, this.def.goal);
    } else if (t.epoch === undefined) {
      const epochs = tail.events.filter((e) => e.event === 'epoch_end').map((e) => (e as { epoch: number }).epoch);
      if (epochs.length) t.epoch = Math.max(...epochs);
    }
    return w;
  }

  private ended(t: TrialRecord, status: TrialStatus, reason?: string): void {
    t.status = status;
    t.ended ??= new Date().toISOString();
    if (reason && !t.reason) t.reason = reason;
  }

  /** Follows the active trials: new metrics, status changes, pruning. */
  private async follow(): Promise<void> {
    const active = this.trials.filter((t) => ACTIVE.has(t.status) && !this.pruning.has(t.trial));
    for (const t of active) {
      const w = await this.readCurve(t);
      const run = await readRunState(this.runDir(t));
      if (!run) {
        this.ended(t, 'failed', 'its run folder was removed');
        continue;
      }
      if (run.status === 'running' || run.status === 'queued' || this.launcher.holds(this.ws, this.ref(t))) {
        // Ended but still held (its executor settles it, e.g. until Slurm says COMPLETED): as it was.
        if (run.status === 'running' || run.status === 'queued') t.status = run.status;
        if (run.status === 'running') t.started ??= new Date().toISOString();
        await this.maybePrune(t, w);
        continue;
      }
      // Ended: read what it wrote last.
      await this.readCurve(t);
      if (run.status === 'stopped') {
        t.status = 'stopped';
        this.interrupted ??= t;
      } else this.ended(t, run.status, run.file.error?.message);
    }
  }

  private async maybePrune(t: TrialRecord, w: Watch): Promise<void> {
    if (this.pruner.type === 'none' || w.curve.size === 0) return;
    const others = this.trials.filter((o) => o.trial !== t.trial && this.watches.has(o.trial)).map((o) => this.watches.get(o.trial)!.curve);
    const decision = pruneDecision(this.pruner, this.def.goal, w.curve, others, w.checkedUpTo);
    w.checkedUpTo = Math.max(w.checkedUpTo, ...w.curve.keys());
    if (!decision.prune) return;
    t.reason = decision.reason;
    const pruned = this.prune(t, decision.reason ?? 'pruned').catch((error: unknown) => void (this.pruneError ??= error instanceof Error ? error : new Error(String(error))));
    this.pruning.set(t.trial, pruned.finally(() => this.pruning.delete(t.trial)));
  }

  /** Stops a pruned trial's run through the launcher and records it `pruned` once its process has ended. */
  private async prune(t: TrialRecord, reason: string): Promise<void> {
    await this.launcher.stop(this.ws, this.ref(t));
    await markPruned(this.runDir(t), reason);
    await this.readCurve(t);
    const run = await readRunState(this.runDir(t));
    // A run that finished before the stop reached it stays finished.
    this.ended(t, run?.status === 'finished' ? 'finished' : 'pruned');
  }

  /**
   * Why the sweep cannot go on: its metric is not among what the runs write (seen when the first trial
   * ends having written epochs), or every one of its first trials failed.
   */
  private failure(): ExpmanError | null {
    for (const t of this.trials) {
      if (t.status !== 'finished' && t.status !== 'pruned') continue;
      const w = this.watches.get(t.trial);
      if (w && w.curve.size === 0 && w.fields.size > 0) {
        return new ExpmanError('CONFIG_INVALID', `metric ${JSON.stringify(this.def.metric)}: trial ${t.trial} (run ${t.run}) ended without writing it; its runs write ${[...w.fields].filter((f) => !['epoch', 'epochs', 'duration_ms', 'samples_per_s'].includes(f)).join(', ')}`, { key: 'metric' });
      }
      // A command whose script finished without a single epoch_end line: no trial will ever have a value.
      if (w && t.status === 'finished' && w.fields.size === 0) {
        return new ExpmanError('CONFIG_INVALID', `metric ${JSON.stringify(this.def.metric)}: trial ${t.trial} (run ${t.run}) finished without writing any epoch_end event to logs/metrics.jsonl (README, The metrics protocol)`, { key: 'metric' });
      }
    }
    const ended = this.trials.filter((t) => ENDED.has(t.status));
    const failed = ended.filter((t) => t.status === 'failed');
    const need = Math.min(3, this.def.budget.trials !== undefined ? this.def.budget.trials * this.def.repeats : 3);
    if (failed.length >= need && failed.length === ended.length) {
      return new ExpmanError('WORKER_FAILED', `the first ${failed.length} trials failed; trial ${failed[0]!.trial} (run ${failed[0]!.run}): ${failed[0]!.reason ?? 'failed'}`);
    }
    return null;
  }

  private proposedPoints(): number {
    return this.trials.reduce((n, t) => Math.max(n, t.point + 1), 0);
  }

  private canPropose(): boolean {
    const { trials, seconds } = this.def.budget;
    if (trials !== undefined && this.proposedPoints() >= trials) return false;
    if (seconds !== undefined && this.elapsed() >= seconds) return false;
    return true;
  }

  private finishReason(): string {
    const { trials, seconds } = this.def.budget;
    if (seconds !== undefined && this.elapsed() >= seconds && (trials === undefined || this.proposedPoints() < trials)) return `time budget of ${seconds} s spent`;
    if (this.def.method === 'grid') return `every grid point tried (${this.proposedPoints()})`;
    return `budget of ${this.proposedPoints()} trials spent`;
  }

  /** The run request of a trial: the sweep's fixed values, the trial's point and its repeat's seed. */
  private trialRequest(t: Pick<TrialRecord, 'run' | 'trial' | 'params' | 'repeat'>): TrialRequest {
    return {
      experiment: this.def.experiment,
      model: t.run,
      overrides: [...this.def.fixed, ...paramOverrides(t.params), ...(this.def.repeats > 1 ? [`${this.def.seedKey}=${this.def.seed + t.repeat}`] : [])],
      sweep: { name: this.def.name, trial: t.trial },
    };
  }

  /**
   * The launcher's arrays when this sweep's trials go to a scheduler with arrays (a Slurm target) and
   * its points are known up front: grid, and random with a trial budget. TPE proposes each point from
   * the results of earlier trials, and a time budget decides trial by trial whether another starts: both
   * start one trial at a time, `parallel` at once, through the run queue.
   */
  private async arrays(): Promise<ArrayLauncher | null> {
    if (this.together !== undefined) return this.together;
    this.together = null;
    const arrays = this.launcher.arrays;
    const upFront = this.def.method === 'grid' || (this.def.method === 'random' && this.def.budget.trials !== undefined);
    if (!arrays || !upFront || this.def.budget.seconds !== undefined) return null;
    const params = this.trials[0]?.params ?? proposePoint(this.def.method, this.def.parameters, 0, this.def.seed, []);
    if (!params) return null;
    try {
      if (await arrays.arrayable(this.ws, this.trialRequest({ run: trialRunName(this.def.name, 0), trial: 0, params, repeat: 0 }))) this.together = arrays;
    } catch {
      // A config or target that cannot be placed: the one-by-one path reports it, trial by trial.
    }
    return this.together;
  }

  /**
   * Starts every remaining trial at once: interrupted ones, recorded ones and all points the budget
   * allows, as one submission the scheduler runs `parallel` at a time (`--array=0-(N-1)%parallel`).
   */
  private async launchTogether(arrays: ArrayLauncher, toResume: TrialRecord[]): Promise<void> {
    let proposed = false;
    while (this.canPropose() && this.propose()) proposed = true;
    // Recorded before any run exists: a crash from here on resumes these trials, never proposes others.
    if (proposed) await this.save();
    const together = toResume.splice(0);
    for (const t of this.trials.filter((x) => x.status === 'pending')) {
      // A folder a previous controller created before it died is started as it is.
      if (await fs.access(this.runDir(t)).then(() => true, () => false)) {
        together.push(t);
        continue;
      }
      try {
        await arrays.create(this.ws, this.trialRequest(t));
        together.push(t);
      } catch (error) {
        // As one by one: a refused point fails its trial; the data folder's own problems stop the sweep.
        if (!isExpmanError(error) || FOLDER_ERRORS.has(error.code)) throw error;
        this.ended(t, 'failed', error.message);
      }
    }
    if (together.length > 0) {
      await arrays.startArray(this.ws, together.map((t) => this.ref(t)), this.def.parallel);
      for (const t of together) t.status = 'queued';
    }
    await this.save();
  }

  /** Fills free slots: interrupted trials first, then recorded ones, then new points. */
  private async launch(toResume: TrialRecord[]): Promise<void> {
    const arrays = await this.arrays();
    if (arrays) {
      if (toResume.length > 0 || this.trials.some((t) => t.status === 'pending') || this.canPropose()) await this.launchTogether(arrays, toResume);
      return;
    }
    const busy = (): number => this.trials.filter((t) => ACTIVE.has(t.status)).length;
    while (busy() < this.def.parallel) {
      const resumable = toResume.shift();
      if (resumable) {
        await this.launcher.resume(this.ws, this.ref(resumable));
        resumable.status = 'queued';
        await this.save();
        continue;
      }
      let next = this.trials.find((t) => t.status === 'pending');
      if (!next) {
        if (!this.canPropose()) return;
        const added = this.propose();
        if (!added) return;
        // Recorded before the run exists: a crash from here on resumes this trial, never proposes another.
        await this.save();
        next = added;
      }
      const runDir = this.runDir(next);
      if (await fs.access(runDir).then(() => true, () => false)) {
        // Created by a previous controller that died before recording it.
        await this.launcher.resume(this.ws, this.ref(next));
      } else {
        try {
          await this.launcher.start(this.ws, this.trialRequest(next));
        } catch (error) {
          // This point's run was refused (e.g. a model too large for memory): the trial failed, the sweep
          // goes on (and stops by itself if its first trials all fail). The data folder's own problems stop it.
          if (!isExpmanError(error) || FOLDER_ERRORS.has(error.code)) throw error;
          this.ended(next, 'failed', error.message);
          await this.save();
          // Back to the main loop, which judges whether the sweep can go on before the next launch.
          return;
        }
      }
      next.status = 'queued';
      await this.save();
    }
  }

  /** Records the next point's trials (one per repeat) as pending; returns the first, or null at the grid's end. */
  private propose(): TrialRecord | null {
    const index = this.proposedPoints();
    const history: Observation[] = [];
    for (const p of pointValues(this.trials).values()) {
      if (p.ended && p.value !== undefined) history.push({ params: p.params, loss: this.def.goal === 'minimize' ? p.value : -p.value });
    }
    const params = proposePoint(this.def.method, this.def.parameters, index, this.def.seed, history, this.def.tpe);
    if (!params) return null;
    const first = this.trials.length;
    for (let repeat = 0; repeat < this.def.repeats; repeat++) {
      const trial = first + repeat;
      this.trials.push({ trial, point: index, repeat, params, run: trialRunName(this.def.name, trial), status: 'pending' });
    }
    this.state = { ...this.state, sampler: { ...this.state.sampler, next_point: index + 1 } };
    return this.trials[first]!;
  }

  /** Stops every active trial through the launcher (they end `stopped`, resumable) and ends the session. */
  private async stopAll(status: 'stopped' | 'failed', reason: string, error?: ExpmanError): Promise<void> {
    const active = this.trials.filter((t) => ACTIVE.has(t.status) && !this.pruning.has(t.trial));
    await Promise.all([...active.map((t) => this.launcher.stop(this.ws, this.ref(t))), ...this.pruning.values()]);
    for (const t of active) {
      await this.readCurve(t);
      const run = await readRunState(this.runDir(t));
      if (!run) this.ended(t, 'failed', 'its run folder was removed');
      else if (run.status === 'finished' || run.status === 'failed' || run.status === 'pruned') this.ended(t, run.status, run.file.error?.message);
      else t.status = 'stopped';
    }
    this.state = { ...this.state, status, reason, ...(error ? { error: { code: error.code, message: error.message } } : {}) };
    await clearStopRequest(this.dir);
  }
}
