import { loadConfig } from '../../core/config/load.js';
import { ExpmanError } from '../../core/errors.js';
import { locateRun, readRunConfig } from '../../core/training/run-folder.js';
import { resumeRun, trainNewRun } from '../../core/training/train.js';
import { DEFAULT_EXPERIMENT, checkName } from '../../core/workspace.js';
import { dataWorkspace, parse, type CommandContext } from '../context.js';
import { runWithTerminal } from '../run-output.js';

export const trainHelp = `expman train [--experiment E] [--model M] [--config FILE] [--set key=value]... [--json]
expman train --resume <model-dir> [--json]

Trains the configured model on a prepared dataset in experiments/<E>/models/<M>/: config.toml (the
completed config with provenance) first, then checkpoints, best-model/, logs/run.log and
logs/metrics.jsonl. Ctrl-C stops after the current batch; --resume continues from the last checkpoint.
A run folder has one writer (its lock.json): resuming a run that another process is training is
refused; a lock left by a killed process is taken over.

  --experiment E    experiment folder (default "default"); its config.toml is a config layer
  --model M         run folder name (default run-<date>-<time>)
  --config FILE     use FILE instead of experiments/<E>/config.toml
  --set key=value   override one config value (repeatable), e.g. --set training.epochs=50
  --resume DIR      continue a stopped or crashed run from its last complete checkpoint; a queued
                    run (created by the UI with its config snapshot) starts from that snapshot
  --json            stream run events as JSON lines on stdout`;

export async function trainCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, {
    experiment: { type: 'string', default: DEFAULT_EXPERIMENT },
    model: { type: 'string' },
    config: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
    resume: { type: 'string' },
  });
  if (values.resume !== undefined) {
    if (values.config || values.set.length || values.model) {
      throw new ExpmanError('USAGE', '--resume continues a run with its saved config: it cannot be combined with --config, --set or --model');
    }
    const run = locateRun(values.resume);
    const { config, provenance } = await readRunConfig(run.dir);
    return runWithTerminal(values.json, (hooks) => resumeRun(run.ws, { ...hooks, dir: run.dir, config, provenance, experiment: run.experiment, model: run.model }));
  }
  const ws = dataWorkspace(values.data);
  checkName('experiment', values.experiment);
  const config = await loadConfig(ws, { experiment: values.experiment, configFile: values.config, overrides: values.set });
  return runWithTerminal(values.json, (hooks) =>
    trainNewRun(ws, { ...hooks, experiment: values.experiment, model: values.model, config, commandLine: ctx.commandLine }),
  );
}
