import { basename } from 'node:path';
import { loadConfig } from '../../core/config/load.js';
import type { ResolvedConfig } from '../../core/config/resolve.js';
import { executePrepared, followRequest, followRun } from '../../core/executors/execute.js';
import { runsInPlace } from '../../core/executors/executor.js';
import { attachRun, placeRun } from '../../core/executors/select.js';
import { liveLock, lockedError } from '../../core/runs/lock.js';
import { readStatus } from '../../core/training/run-store.js';
import { resolveWorkerRuntime } from '../../core/training/worker-runtime.js';
import type { Workspace } from '../../core/workspace.js';
import { ExpmanError } from '../../core/errors.js';
import { locateRun, readRunConfig } from '../../core/training/run-folder.js';
import { prepareRun, resumeRun, trainNewRun, type PrepareRequest } from '../../core/training/train.js';
import { DEFAULT_EXPERIMENT, checkName } from '../../core/workspace.js';
import { dataWorkspace, parse, type CommandContext } from '../context.js';
import { runWithTerminal } from '../run-output.js';

export const trainHelp = `expman train [--experiment E] [--model M] [--config FILE] [--set key=value]... [--json]
expman train --resume <model-dir> [--json]
expman train --attach <model-dir> [--json]

Trains the configured model on a prepared dataset in experiments/<E>/models/<M>/: config.toml (the
completed config with provenance) first, then checkpoints, best-model/, logs/run.log and
logs/metrics.jsonl. Ctrl-C stops after the current batch; --resume continues from the last checkpoint.
A run folder has one writer (its lock.json): resuming a run that another process is training is
refused; a lock left by a killed process is taken over.
With runtime.executor = "slurm" and runtime.target = NAME (a target of $DATA/targets.toml, see
\`expman targets\`), the run is submitted as a Slurm job (the job script is kept in the run folder) and
followed here until it ends; Ctrl-C cancels the job, and the run can be resumed. runtime.executor =
"ssh" ships the run to an SSH target's data folder, starts it there detached, follows it and brings
the run folder back. --attach follows such a run again (after the terminal or the app went away).

  --experiment E    experiment folder (default "default"); its config.toml is a config layer
  --model M         run folder name (default run-<date>-<time>)
  --config FILE     use FILE instead of experiments/<E>/config.toml
  --set key=value   override one config value (repeatable), e.g. --set training.epochs=50
  --resume DIR      continue a stopped or crashed run from its last complete checkpoint; a queued
                    run (created by the UI with its config snapshot) starts from that snapshot; a run
                    whose config names a target continues there (shipped again, or resubmitted)
  --attach DIR      follow a run that executes on a target (Slurm job, SSH host) until it ends
  --json            stream run events as JSON lines on stdout`;

/**
 * A run for a target (runtime.executor = "slurm" or "ssh"): checked there first (target reachable, sbatch
 * --test-only), so a refusal leaves the data folder unchanged; then queued as a run folder, handed to the
 * executor, and followed here until it ends. Ctrl-C stops it (the worker stops after its batch; resumable).
 * `expman rerun` of a run that executed on a target goes the same way, to the target its config names.
 */
export async function trainElsewhere(ws: Workspace, request: PrepareRequest, json: boolean): Promise<number> {
  const runtime = resolveWorkerRuntime(request.config.values['runtime.node']);
  const placement = await placeRun(ws, request.config.values);
  await placement.validate(runtime);
  const run = await prepareRun(ws, request, 'queued');
  // The worker on the node takes the lock.
  run.lock.release();
  const model = basename(run.dir);
  return runWithTerminal(json, (hooks) => executePrepared(placement, { dir: run.dir, experiment: request.experiment, model, runtime }, { ...hooks, onLog: (_level, line) => (json ? undefined : console.log(line)) }));
}

/**
 * `--resume` of a run whose config names a target: it goes on there, from its checkpoint (the run folder,
 * checkpoints included, is shipped again; Slurm: the job is submitted again), and is followed here. The
 * worker that executor starts there resumes in place (runsInPlace).
 */
async function resumeElsewhere(run: ReturnType<typeof locateRun>, config: ResolvedConfig, json: boolean): Promise<number> {
  const status = await readStatus(run.dir);
  if (!status) throw new ExpmanError('RUN_MISSING', `${run.dir}: not a run folder (no status.json)`, { file: run.dir });
  if (status.status === 'finished') throw new ExpmanError('RUN_FINISHED', `${run.dir}: run already finished; use \`expman rerun\` to train it again`, { file: run.dir });
  // Live here or there (the lock a follower mirrors from the target): one writer.
  const lock = liveLock(run.dir);
  if (lock) throw lockedError(run.dir, lock, 'cannot resume');
  const runtime = resolveWorkerRuntime(config.values['runtime.node']);
  const placement = await placeRun(run.ws, config.values);
  await placement.validate(runtime);
  return runWithTerminal(json, (hooks) => executePrepared(placement, { dir: run.dir, experiment: run.experiment, model: run.model, runtime }, { ...hooks, onLog: (_level, line) => (json ? undefined : console.log(line)) }));
}

export async function trainCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, {
    experiment: { type: 'string', default: DEFAULT_EXPERIMENT },
    model: { type: 'string' },
    config: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    resume: { type: 'string' },
    attach: { type: 'string' },
  });
  if (values.attach !== undefined) {
    if (values.resume !== undefined || values.config || values.set.length || values.model) throw new ExpmanError('USAGE', '--attach follows a run as it is: it cannot be combined with other options');
    const run = locateRun(values.attach);
    return runWithTerminal(values.json, async (hooks) => {
      const handle = await attachRun(run.ws, run.dir, followRequest({ ...hooks, onLog: (_level, line) => (values.json ? undefined : console.log(line)) }));
      return followRun(handle, { dir: run.dir, experiment: run.experiment, model: run.model }, hooks);
    });
  }
  if (values.resume !== undefined) {
    if (values.config || values.set.length || values.model) {
      throw new ExpmanError('USAGE', '--resume continues a run with its saved config: it cannot be combined with --config, --set or --model');
    }
    const run = locateRun(values.resume);
    const { config, provenance } = await readRunConfig(run.dir);
    if (config.values['runtime.executor'] !== 'local' && !runsInPlace()) return resumeElsewhere(run, config, values.json);
    return runWithTerminal(values.json, (hooks) => resumeRun(run.ws, { ...hooks, dir: run.dir, config, provenance, experiment: run.experiment, model: run.model }));
  }
  const ws = dataWorkspace(values.data);
  checkName('experiment', values.experiment);
  const config = await loadConfig(ws, { experiment: values.experiment, configFile: values.config, overrides: values.set });
  if (config.values['runtime.executor'] !== 'local') return trainElsewhere(ws, { experiment: values.experiment, ...(values.model ? { model: values.model } : {}), config, commandLine: ctx.commandLine }, values.json);
  return runWithTerminal(values.json, (hooks) =>
    trainNewRun(ws, { ...hooks, experiment: values.experiment, model: values.model, config, commandLine: ctx.commandLine }),
  );
}
