import { ExpmanError } from '../../core/errors.js';
import { locateRun, readRunConfig } from '../../core/training/run-folder.js';
import { trainNewRun } from '../../core/training/train.js';
import { exists, paths } from '../../core/workspace.js';
import { rerunModuleOptions } from '../../core/models/module-run.js';
import { rerunCommandOptions } from '../../core/trainers/command-spec.js';
import { parse, type CommandContext } from '../context.js';
import { trainElsewhere } from './train.js';
import { runWithTerminal } from '../run-output.js';

export const rerunHelp = `expman rerun <model-dir> [--model M] [--json]

Trains again from a run's saved config.toml into a new run folder of the same experiment. The dataset
must still match the sha256 recorded in the run's provenance. On the cpu and wasm backends (and without
dropout) the new run's per-epoch metrics equal the original's. A run that executed on a target (SSH host,
Slurm cluster) trains again on the same target, followed here as \`expman train\` follows it.

  --model M   name of the new run folder (default <original>-rerun-<n>)`;

export async function rerunCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(ctx.argv, { model: { type: 'string' } }, true);
  if (positionals.length !== 1) throw new ExpmanError('USAGE', 'expman rerun needs exactly one <model-dir>');
  const run = locateRun(positionals[0]!);
  const { config, provenance } = await readRunConfig(run.dir);
  let model = values.model;
  if (!model) {
    let n = 1;
    do model = `${run.model}-rerun-${n++}`;
    while (await exists(paths.modelDir(run.ws, run.experiment, model)));
  }
  const request = { experiment: run.experiment, model, config, commandLine: ctx.commandLine, rerunOf: run.dir, expectDatasetHashes: provenance.dataset_hashes, ...rerunModuleOptions(run.dir, provenance), ...rerunCommandOptions(run.dir, provenance) };
  // A run that executed on a target trains again there: its config snapshot names the target.
  if (config.values['runtime.executor'] !== 'local') return trainElsewhere(run.ws, request, values.json);
  return runWithTerminal(values.json, (hooks) => trainNewRun(run.ws, { ...hooks, ...request }));
}
