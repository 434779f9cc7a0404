import { promises as fs } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { throwIssues, type ConfigIssue, type ResolvedConfig } from '../config/resolve.js';
import { locateKeys } from '../config/toml-locate.js';
import { stripBom } from '../config/toml-text.js';
import { datasetTask, readDatasetInfo } from '../datasets/dataset-info.js';
import { ExpmanError, isExpmanError } from '../errors.js';
import { writeFilesAtomic } from '../fs/atomic.js';
import { inspectModule } from '../models/inspect.js';
import { BUILTIN_MODEL } from '../models/module-run.js';
import { checkParam, checkParams } from '../models/params-schema.js';
import { liveLock } from '../runs/lock.js';
import { RunManager } from '../jobs/run-manager.js';
import { readRunState } from '../training/run-store.js';
import { checkName, exists, paths, type Workspace } from '../workspace.js';
import type { SweepDetail, SweepState, SweepSummary, TrialRecord, TrialStatus } from '../../shared/sweeps.js';
import { bestTrial } from './controller.js';
import { parseSweepText, type SweepDefinition } from './definition.js';
import { proposePoint } from './samplers.js';
import { paramOverrides } from './space.js';
import { listSweepNames, readDefinition, readState, readTrials, requestStop, sweepFiles, writeState, writeTrials } from './sweep-store.js';

/** What the built-in trainer writes in each epoch_end line, by task (src/shared/run-events.ts EpochMetrics). */
const TRAINER_METRICS = {
  classification: ['loss', 'accuracy', 'val_loss', 'val_accuracy'],
  regression: ['loss', 'val_loss', 'val_mae', 'val_rmse', 'val_r2'],
} as const;

export interface CreateSweepRequest {
  /** The definition's text and the file it came from (named in errors; default name of the sweep). */
  text: string;
  file: string;
  /** Overrides the definition's experiment (`expman sweep start --experiment`). */
  experiment?: string;
  /** Overrides the definition's name (the UI launcher). */
  name?: string;
}

/**
 * Checks a sweep definition against the data folder and creates its folder: everything that can be wrong
 * (the definition, a parameter that is not a config key, values the config refuses, the experiment's
 * config, the dataset, a metric the runs do not write) is refused before anything exists. Drive it with
 * `driveSweep`.
 */
export async function createSweep(ws: Workspace, request: CreateSweepRequest): Promise<{ dir: string; definition: SweepDefinition }> {
  const parsed = parseSweepText(request.text, request.file);
  const def: SweepDefinition = { ...parsed, experiment: request.experiment ?? parsed.experiment, name: request.name ?? parsed.name };
  checkName('experiment', def.experiment);
  checkName('sweep', def.name);
  // The experiment's config with the sweep's fixed values and its first point must resolve, as every
  // trial's will (a value that fits the key but not the config, e.g. a module's params, shows here).
  const first = proposePoint(def.method, def.parameters, 0, def.seed, []);
  const config = await loadConfig(ws, { experiment: def.experiment, overrides: [...def.fixed, ...(first ? paramOverrides(first) : [])] });
  const positions = locateKeys(stripBom(request.text));
  const at = (key: string): { file: string; line?: number; column?: number } => ({ file: request.file, ...(positions.get(`sweep.${key}`) ?? positions.get(key) ?? {}) });
  const metricAt = (): { file: string; line?: number; column?: number } => at('metric');
  const info = await readDatasetInfo(ws, config.values['data.dataset']);
  const task = datasetTask(info);
  const known: readonly string[] = TRAINER_METRICS[task];
  // A command run (`command.train`, issue 14) writes whatever its script writes: its metric is checked
  // when its first trial ends (driveSweep). Read by name: the key exists once command runs are merged.
  const command = (config.values as Record<string, unknown>)['command.train'];
  const builtInTrainer = !(Array.isArray(command) && command.length > 0);
  // A command's script reads model.params as it likes; the worker checks them for the built-in trainer.
  if (builtInTrainer) await checkModuleParameters(ws, def, config, at);
  if (builtInTrainer && !known.includes(def.metric)) {
    const where = metricAt();
    throw new ExpmanError(
      'CONFIG_INVALID',
      `${where.file}${where.line ? `:${where.line}:${where.column}` : ''}: metric: no run writes ${JSON.stringify(def.metric)}; runs on the ${task} dataset ${config.values['data.dataset']} write ${known.join(', ')}`,
      { ...where, key: 'metric', expected: known.join(', ') },
    );
  }
  if (def.pruner.type === 'asha' && def.pruner.maxEpochs === undefined) def.pruner = { ...def.pruner, maxEpochs: config.values['training.epochs'] };
  const dir = sweepFiles.dir(ws, def.experiment, def.name);
  if (await exists(dir)) {
    throw new ExpmanError('RUN_EXISTS', `sweep ${def.experiment}/${def.name} already exists at ${dir}: resume it with \`expman sweep resume ${def.name}\` or choose another name`, { file: dir, key: 'name' });
  }
  await fs.mkdir(sweepFiles.sweepsDir(ws, def.experiment), { recursive: true });
  await fs.mkdir(dir);
  const now = new Date().toISOString();
  const state: SweepState = { name: def.name, experiment: def.experiment, status: 'stopped', created: now, updated: now, elapsed_s: 0, sampler: { method: def.method, seed: def.seed, next_point: 0 } };
  try {
    await writeFilesAtomic([
      { path: sweepFiles.source(dir), data: request.text },
      { path: sweepFiles.definition(dir), data: `${JSON.stringify(def, null, 2)}\n` },
      { path: sweepFiles.trials(dir), data: '[]\n' },
      { path: sweepFiles.state(dir), data: `${JSON.stringify(state, null, 2)}\n` },
    ]);
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, definition: def };
}

/**
 * What the worker would refuse about `model.params` (a module's `paramsSchema`: unknown key, type, range,
 * choices; any model.params for the built-in model), checked for every value a swept parameter can take,
 * so a sweep is refused before it starts instead of failing trial by trial. The module is read in a child
 * process, as the config editor's validation does (user code never runs in the calling process).
 */
async function checkModuleParameters(ws: Workspace, def: SweepDefinition, config: ResolvedConfig, at: (key: string) => { file: string; line?: number; column?: number }): Promise<void> {
  const swept = def.parameters.filter((p) => p.key.startsWith('model.params.'));
  const name = config.values['model.type'];
  const issues: ConfigIssue[] = [];
  if (name === BUILTIN_MODEL) {
    for (const p of swept) issues.push({ message: `model params are for model modules; model.type is "${BUILTIN_MODEL}"`, key: `parameters.${p.key}`, ...at(`parameters.${p.key}`) });
    if (issues.length) throwIssues(issues);
    return;
  }
  if (swept.length === 0 && Object.keys(config.values['model.params']).length === 0) return;
  const info = await inspectModule(ws, name);
  if (info.error) throw new ExpmanError('MODEL_MODULE', `model.type: model module ${JSON.stringify(name)} cannot be used: ${info.error}`, { key: 'model.type' });
  const schema = info.paramsSchema;
  if (!schema) return;
  const sweptKeys = new Set(swept.map((p) => p.key));
  // Values set in the experiment's config or the sweep's [set]: located where they were set.
  const fixed = Object.fromEntries(Object.entries(config.values['model.params']).filter(([k]) => !sweptKeys.has(`model.params.${k}`)));
  issues.push(...checkParams(fixed, schema, config.tableOrigins, paths.modelModule(ws, name)));
  for (const p of swept) {
    const param = p.key.slice('model.params.'.length);
    const where = { key: `parameters.${p.key}`, ...at(`parameters.${p.key}`) };
    const spec = schema[param];
    if (!spec) {
      issues.push({ message: `${p.key} is not a param of model module ${paths.modelModule(ws, name)} (it accepts: ${Object.keys(schema).join(', ') || 'no params'})`, ...where });
      continue;
    }
    // A float range also probes a value between its ends: over an integer param it proposes fractions.
    const probes = p.dist.kind === 'values' ? p.dist.values : p.dist.kind === 'int' ? [p.dist.low, p.dist.high] : [p.dist.low, p.dist.high, (p.dist.low + p.dist.high) / 2 + 1e-9];
    const problems = probes.map((value) => checkParam(spec, value));
    const problem = problems.find((x) => x !== null);
    if (problem && p.dist.kind !== 'values' && problems.length === 3 && !problems[0] && !problems[1]) issues.push({ message: `${p.key} takes integers: use { int = [${p.dist.low}, ${p.dist.high}] } or a list`, ...where });
    else if (problem) issues.push({ message: problem, ...where });
  }
  if (issues.length) throwIssues(issues);
}

/** The folder of an existing sweep; SWEEP missing → NOT_FOUND naming the sweeps there are. */
export async function sweepDir(ws: Workspace, experiment: string, name: string): Promise<string> {
  checkName('experiment', experiment);
  checkName('sweep', name);
  const dir = sweepFiles.dir(ws, experiment, name);
  if (!(await exists(sweepFiles.state(dir)))) {
    const names = await listSweepNames(ws, experiment);
    throw new ExpmanError('NOT_FOUND', `no sweep ${experiment}/${name} in ${ws.root}${names.length ? `; sweeps: ${names.join(', ')}` : ''}`, { file: dir });
  }
  return dir;
}

/** Refuses to resume a sweep that has finished or that a controller drives now. */
export async function checkResumable(dir: string): Promise<void> {
  const state = await readState(dir);
  const lock = liveLock(dir);
  if (lock) throw new ExpmanError('RUN_LOCKED', `sweep ${state.experiment}/${state.name} is already driven by pid ${lock.pid} on ${lock.host} (${lock.command})`, { file: dir, pid: lock.pid });
  if (state.status === 'finished') throw new ExpmanError('RUN_FINISHED', `sweep ${state.experiment}/${state.name} has finished (${state.reason ?? 'budget spent'}); start a new sweep to search further`, { file: dir });
}

export interface StopSweepOptions {
  timeoutMs?: number;
  /**
   * Stops one trial's run where it executes when the controller is gone: RunManager.stopRun (a process
   * here through its lock; a Slurm task with scancel). Default: a RunManager of its own.
   */
  stopRun?: (ws: Workspace, run: { experiment: string; model: string }) => Promise<unknown>;
}

/**
 * Stops a sweep. A controller that drives it (here or in another process on this host) is asked to stop
 * and waited for (bounded): it stops its running trials (SIGTERM, then SIGKILL after the grace period),
 * which stay resumable. A sweep whose controller is gone (crashed) is stopped here: its live trial runs
 * are stopped where they execute (through their locks, or their Slurm tasks cancelled, pending ones too)
 * and the table records them.
 */
export async function stopSweep(ws: Workspace, experiment: string, name: string, options: StopSweepOptions = {}): Promise<SweepSummary> {
  const dir = await sweepDir(ws, experiment, name);
  if (liveLock(dir)) {
    await requestStop(dir);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    while (liveLock(dir) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (liveLock(dir)) throw new ExpmanError('RUN_LOCKED', `sweep ${experiment}/${name}: its controller did not stop within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s`, { file: dir });
    return sweepSummary(ws, experiment, name);
  }
  const state = await readState(dir);
  const trials = await readTrials(dir);
  const stopRun = options.stopRun ?? ((w: Workspace, run: { experiment: string; model: string }) => new RunManager({ emit: () => undefined }).stopRun(w, run));
  for (const t of trials) {
    if (t.status !== 'queued' && t.status !== 'running') continue;
    const runDir = paths.modelDir(ws, experiment, t.run);
    try {
      await stopRun(ws, { experiment, model: t.run });
    } catch (error) {
      if (!isExpmanError(error) || error.code !== 'RUN_NOT_LIVE') throw error;
    }
    const run = await readRunState(runDir);
    t.status = run && (run.status === 'finished' || run.status === 'pruned' || (run.status === 'failed' && run.file.status === 'failed')) ? run.status : 'stopped';
  }
  await writeTrials(dir, trials);
  if (state.status === 'running') await writeState(dir, { ...state, status: 'stopped', reason: 'stopped (its controller had ended)', updated: new Date().toISOString() });
  return sweepSummary(ws, experiment, name);
}

function countStatuses(trials: readonly TrialRecord[]): Partial<Record<TrialStatus, number>> {
  const counts: Partial<Record<TrialStatus, number>> = {};
  for (const t of trials) counts[t.status] = (counts[t.status] ?? 0) + 1;
  return counts;
}

function summarize(def: SweepDefinition, state: SweepState, trials: readonly TrialRecord[], live: boolean): SweepSummary {
  const best = bestTrial(trials, def.goal);
  return {
    name: def.name,
    experiment: def.experiment,
    // Its controller's lock says whether it runs: one recorded as running whose controller is gone
    // (crashed) reads as stopped (resume continues it); one just started, as running.
    status: live ? 'running' : state.status === 'running' ? 'stopped' : state.status,
    live,
    method: def.method,
    metric: def.metric,
    goal: def.goal,
    budget: def.budget.trials ?? null,
    trials: trials.length,
    counts: countStatuses(trials),
    best: best ? { trial: best.trial, run: best.run, value: best.value! } : null,
    updated: state.updated,
  };
}

export async function sweepSummary(ws: Workspace, experiment: string, name: string): Promise<SweepSummary> {
  const dir = await sweepDir(ws, experiment, name);
  return summarize(await readDefinition(dir), await readState(dir), await readTrials(dir), liveLock(dir) !== null);
}

export async function sweepDetail(ws: Workspace, experiment: string, name: string): Promise<SweepDetail> {
  const dir = await sweepDir(ws, experiment, name);
  const [def, state, trials, source] = await Promise.all([readDefinition(dir), readState(dir), readTrials(dir), fs.readFile(sweepFiles.source(dir), 'utf8').catch(() => '')]);
  return {
    summary: summarize(def, state, trials, liveLock(dir) !== null),
    parameters: def.parameters.map((p) => ({ key: p.key, ...p.dist, kind: p.dist.kind })),
    trials,
    state,
    source,
  };
}

/** Every sweep of an experiment (or of all experiments). */
export async function listSweeps(ws: Workspace, experiment?: string): Promise<SweepSummary[]> {
  const experiments = experiment ? [experiment] : await fs.readdir(paths.experimentsDir(ws)).catch(() => [] as string[]);
  const out: SweepSummary[] = [];
  for (const e of experiments.sort()) {
    for (const name of await listSweepNames(ws, e)) {
      try {
        out.push(await sweepSummary(ws, e, name));
      } catch {
        // a sweep folder being created or damaged: left out of the list, `sweep status` says why
      }
    }
  }
  return out;
}
