import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { ExpmanError } from '../../core/errors.js';
import { RunManager } from '../../core/jobs/run-manager.js';
import { driveSweep, type SweepProgress } from '../../core/sweeps/controller.js';
import { runManagerLauncher } from '../../core/sweeps/launcher.js';
import { checkResumable, createSweep, listSweeps, sweepDetail, sweepDir, stopSweep } from '../../core/sweeps/sweeps.js';
import { readDefinition } from '../../core/sweeps/sweep-store.js';
import { DEFAULT_EXPERIMENT, type Workspace } from '../../core/workspace.js';
import type { SweepState, TrialRecord } from '../../shared/sweeps.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';
import { ProgressBar } from '../progress-bar.js';

export const sweepHelp = `expman sweep start FILE [--experiment E] [--json]
expman sweep resume NAME [--experiment E] [--json]
expman sweep stop NAME [--experiment E]
expman sweep status [NAME] [--experiment E] [--json]

Runs many trainings from one definition, searching its parameters. FILE is a TOML sweep (or a file with
a [sweep] table, e.g. an experiment's config.toml):

  name = "lr-search"             (default: the file's name)
  method = "tpe"                 grid | random | tpe
  metric = "val_accuracy"        what the runs write in each epoch; the trial's value is its best
  goal = "maximize"              or minimize
  seed = 0                       the same seed proposes the same trials
  parallel = 2                   trials at once
  repeats = 1                    runs per point, each with training.seed = seed + repeat (seed_key)
  [budget]                       trials = N (points) and/or time = "90m" (no new trial after it)
  [set]                          config values every trial gets, e.g. "training.epochs" = 20
  [parameters]                   any config key, model.params.* and params.*:
    "training.learning_rate" = { log_uniform = [1e-4, 1e-1] }
    "training.batch_size" = [16, 32, 64]            (a list: grid points / choices)
    "model.params.units" = { int = [8, 128] }
    "training.optimizer" = { choice = ["adam", "sgd"] }
  [pruner]                       type = "median" (warmup_epochs, min_trials) or "asha" (min_epochs, eta,
                                 max_epochs): stops unpromising trials; they end as \`pruned\`

Each trial is an ordinary run, experiments/<E>/models/<name>-t<NNNN>, tagged in its config.toml
[provenance] (sweep, sweep_trial). The sweep folder experiments/<E>/sweeps/<name>/ keeps the definition,
the sampler state and the trials table. \`start\` and \`resume\` drive the sweep in the foreground (progress
bar on a terminal); Ctrl-C or \`sweep stop\` stops its running trials (resumable), and \`sweep resume\`
continues it without repeating a trial. \`status\` lists the sweeps, or one sweep's trials.

  --experiment E   the experiment (default: the definition's, else "default")
  --json           JSON lines: the progress of the trials, then the sweep's final state`;

export async function sweepCommand(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.argv;
  const { values, positionals } = parse(rest, { experiment: { type: 'string' } }, true);
  const ws = dataWorkspace(values.data);
  const experiment = values.experiment ?? DEFAULT_EXPERIMENT;
  const one = (what: string): string => {
    if (positionals.length !== 1) throw new ExpmanError('USAGE', `expman sweep ${action} takes one ${what}; see expman sweep --help`);
    return positionals[0]!;
  };
  switch (action) {
    case 'start': {
      const file = resolve(one('sweep file'));
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (error) {
        throw new ExpmanError('NOT_FOUND', `${file}: cannot read the sweep file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file });
      }
      const { dir, definition } = await createSweep(ws, { text, file, ...(values.experiment ? { experiment: values.experiment } : {}) });
      if (!values.json) console.log(`Sweep ${definition.experiment}/${definition.name}: ${definition.method} over ${definition.parameters.map((p) => p.key).join(', ')}; folder ${dir}`);
      return drive(ws, dir, values.json, ctx.commandLine);
    }
    case 'resume': {
      const dir = await sweepDir(ws, experiment, one('sweep name'));
      await checkResumable(dir);
      return drive(ws, dir, values.json, ctx.commandLine);
    }
    case 'stop': {
      const summary = await stopSweep(ws, experiment, one('sweep name'));
      if (values.json) emitJson(summary);
      else console.log(`Sweep ${summary.experiment}/${summary.name} ${summary.status}: ${summary.trials} trials (${describeCounts(summary.counts)}). Continue it with: expman sweep resume ${summary.name}${experiment !== DEFAULT_EXPERIMENT ? ` --experiment ${experiment}` : ''}`);
      return 0;
    }
    case 'status': {
      if (positionals.length === 0) {
        const sweeps = await listSweeps(ws, values.experiment);
        if (values.json) emitJson({ data: ws.root, sweeps });
        else if (!sweeps.length) console.log(`No sweeps in ${ws.root}. Start one with: expman sweep start FILE`);
        else {
          for (const s of sweeps) {
            console.log(`${s.experiment}/${s.name}  ${s.status}${s.live ? ' (driven now)' : ''}  ${s.method}  ${s.trials}${s.budget !== null ? `/${s.budget}` : ''} trials (${describeCounts(s.counts)})  best ${s.metric} ${s.best ? `${fmt(s.best.value)} (${s.best.run})` : '-'}`);
          }
        }
        return 0;
      }
      const detail = await sweepDetail(ws, experiment, one('sweep name'));
      if (values.json) {
        emitJson(detail);
        return 0;
      }
      const s = detail.summary;
      console.log(`${s.experiment}/${s.name}  ${s.status}${s.live ? ' (driven now)' : ''}${detail.state.reason ? ` — ${detail.state.reason}` : ''}`);
      console.log(`${s.method}, ${s.goal} ${s.metric}; ${s.trials} trials (${describeCounts(s.counts)}); best ${s.best ? `${fmt(s.best.value)} (trial ${s.best.trial}, ${s.best.run})` : '-'}`);
      console.log(trialTable(detail.trials, s.best?.trial));
      return 0;
    }
    default:
      throw new ExpmanError('USAGE', `expman sweep: expected start, resume, stop or status, got ${JSON.stringify(action ?? '')}`);
  }
}

function fmt(value: number | undefined): string {
  return value === undefined ? '-' : Number(value.toPrecision(5)).toString();
}

function describeCounts(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none yet';
}

function showParams(params: TrialRecord['params']): string {
  return Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : JSON.stringify(v)}`).join(' ');
}

function trialTable(trials: readonly TrialRecord[], best: number | undefined): string {
  const rows = [['', 'TRIAL', 'RUN', 'STATUS', 'EPOCH', 'VALUE', 'PARAMETERS'], ...trials.map((t) => [t.trial === best ? '*' : '', String(t.trial), t.run, t.status, t.epoch !== undefined ? String(t.epoch) : '-', fmt(t.value), showParams(t.params)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/**
 * Drives a sweep in this process with its own run queue (the trials' workers are detached: they outlive
 * this process, and `sweep resume` follows them again). Ctrl-C / SIGTERM stop it like `sweep stop`; a
 * second one exits at once, leaving the trials running.
 */
async function drive(ws: Workspace, dir: string, json: boolean, commandLine: string[]): Promise<number> {
  const def = await readDefinition(dir);
  const manager = new RunManager({ emit: () => undefined, concurrency: def.parallel });
  const controller = new AbortController();
  const bar = new ProgressBar();
  const print = (text: string): void => (bar.enabled ? bar.println(text) : console.log(text));
  let signals = 0;
  let exitCode = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    exitCode = signal === 'SIGTERM' ? 143 : 130;
    if (signals > 1) process.exit(exitCode);
    if (!json) print(`${signal}: stopping the sweep's running trials (they stay resumable; again to exit at once)…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reported = new Map<number, string>();
  const onProgress = ({ state, trials, budget }: SweepProgress): void => {
    for (const t of trials) {
      if (reported.get(t.trial) === t.status) continue;
      const was = reported.get(t.trial);
      reported.set(t.trial, t.status);
      if (json) emitJson({ event: 'trial', ...t });
      else if (t.status === 'finished' || t.status === 'pruned' || t.status === 'failed' || (t.status === 'stopped' && was !== undefined)) {
        print(`trial ${t.trial} ${t.status}${t.epoch !== undefined ? ` at epoch ${t.epoch}` : ''}: ${def.metric} ${fmt(t.value)}  ${showParams(t.params)}${t.reason && t.status !== 'finished' ? `  (${t.reason})` : ''}`);
      }
    }
    const total = (budget ?? Math.max(state.sampler.next_point, 1)) * def.repeats;
    const ended = trials.filter((t) => t.status === 'finished' || t.status === 'pruned' || t.status === 'failed').length;
    const running = trials.filter((t) => t.status === 'running').length;
    // On Slurm every trial of the array is queued at once; the scheduler runs `parallel` of them.
    const queued = trials.filter((t) => t.status === 'queued').length;
    const best = trials.filter((t) => t.status === 'finished' && t.value !== undefined).map((t) => t.value!);
    bar.setSuffix(`${running} running${queued ? `, ${queued} queued` : ''}${best.length ? `  best ${def.metric} ${fmt(def.goal === 'minimize' ? Math.min(...best) : Math.max(...best))}` : ''}`);
    if (!json) bar.update({ phase: `sweep ${def.name}`, done: ended, total, unit: 'items' });
  };
  let state: SweepState;
  try {
    state = await driveSweep(ws, dir, { launcher: runManagerLauncher(manager), signal: controller.signal, onProgress, command: commandLine.join(' ') });
  } finally {
    bar.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (json) emitJson({ event: 'sweep', ...state });
  else {
    console.log(`Sweep ${state.experiment}/${state.name} ${state.status}${state.reason ? `: ${state.reason}` : ''}`);
    if (state.status === 'stopped') console.log(`Continue it with: expman sweep resume ${state.name}${state.experiment !== DEFAULT_EXPERIMENT ? ` --experiment ${state.experiment}` : ''}`);
    console.log(`Trials: expman sweep status ${state.name}${state.experiment !== DEFAULT_EXPERIMENT ? ` --experiment ${state.experiment}` : ''}`);
  }
  if (state.status === 'failed') throw new ExpmanError(state.error?.code === 'CONFIG_INVALID' ? 'CONFIG_INVALID' : 'WORKER_FAILED', state.error?.message ?? 'the sweep failed', { file: dir });
  // Stopped by a signal: the signal's conventional status (as `expman train`); by `sweep stop`: done as asked.
  return state.status === 'stopped' ? exitCode : 0;
}
