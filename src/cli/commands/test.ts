import { testRun, type TestResult } from '../../core/evaluation/test-run.js';
import { testOnTarget } from '../../core/executors/remote-test.js';
import { ExpmanError } from '../../core/errors.js';
import { listRuns } from '../../core/training/run-store.js';
import { readRunConfig } from '../../core/training/run-folder.js';
import { isCommandRun } from '../../core/trainers/command-spec.js';
import { testCommandRun } from '../../core/trainers/command-test.js';
import { DEFAULT_EXPERIMENT, checkName, paths, type Workspace } from '../../core/workspace.js';
import { dataWorkspace, emitJson, parse, type CommandContext } from '../context.js';

export const testHelp = `expman test [--experiment E] [--model M] [--json]

Evaluates a run's best model on the test set and writes CSV files under experiments/<E>/results/<M>/.
Classification: metrics.csv (accuracy, macro and weighted precision/recall/F1), per-class.csv,
confusion-matrix.csv and predictions.csv. Regression: metrics.csv (mae, rmse, r2) and predictions.csv
(features, actual, predicted, residual, in the target's units). Without --model, the newest finished run
of the experiment is tested. A command run is tested by its [command] test command, which writes its CSV
files into $EXPMAN_RESULTS_DIR (metrics.csv: metric,value rows). A run that executed on an SSH target,
or on a Slurm cluster through its login node, is tested there (the results come home); when the target
cannot be reached, it is tested here on its best model.`;

async function latestFinished(ws: Workspace, experiment: string): Promise<string> {
  // A command run need not report a val_loss (no best): finished is enough.
  const runs = (await listRuns(ws, experiment)).filter((r) => (r.best !== null || (r.backend === 'command' && r.status === 'finished')) && r.status !== 'running');
  const run = runs[runs.length - 1];
  if (!run) throw new ExpmanError('RUN_MISSING', `experiment ${JSON.stringify(experiment)} has no trained run to test in ${ws.root}; run \`expman train\` first`, { key: 'experiment' });
  return run.model;
}

export async function testCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, { experiment: { type: 'string', default: DEFAULT_EXPERIMENT }, model: { type: 'string' } });
  const ws = dataWorkspace(values.data);
  checkName('experiment', values.experiment);
  const model = values.model !== undefined ? checkName('model', values.model) : await latestFinished(ws, values.experiment);
  // A run that executed on a target is tested there when it can be reached (remote-test.ts).
  const remote = await testOnTarget(ws, values.experiment, model, { onLog: (line) => (values.json ? undefined : console.log(line)) });
  if (remote) {
    const { event: _event, experiment: _experiment, model: _model, dir, files, ...rest } = remote.result as Record<string, unknown> & { dir: string; files: string[] };
    if (values.json) {
      emitJson({ ...remote.result, where: remote.where });
      return 0;
    }
    if ('metrics' in rest) printCommandTest(values.experiment, model, { dir, files, metrics: rest['metrics'] as Record<string, number> }, ` on ${remote.where}`);
    else {
      const { best_epoch: bestEpoch, task, ...evaluation } = rest;
      printTest(values.experiment, model, { dir, files, bestEpoch, task, evaluation } as unknown as TestResult, ` on ${remote.where}`);
    }
    return 0;
  }
  // A folder without a readable config is left to testRun, which says what is missing.
  const saved = await readRunConfig(paths.modelDir(ws, values.experiment, model)).catch(() => null);
  if (saved && isCommandRun(saved.config.values)) {
    const result = await testCommandRun(ws, values.experiment, model, values.json ? undefined : (_stream, line) => console.log(line));
    if (values.json) emitJson({ event: 'tested', experiment: values.experiment, model, dir: result.dir, files: result.files, metrics: result.metrics });
    else printCommandTest(values.experiment, model, result);
    return 0;
  }
  const result = await testRun(ws, values.experiment, model);
  if (values.json) {
    emitJson({ event: 'tested', experiment: values.experiment, model, dir: result.dir, files: result.files, best_epoch: result.bestEpoch, task: result.task, ...result.evaluation });
    return 0;
  }
  printTest(values.experiment, model, result);
  return 0;
}

function printCommandTest(experiment: string, model: string, result: { dir: string; files: string[]; metrics: Record<string, number> }, where = ''): void {
  console.log([`Tested ${experiment}/${model} with its test command${where}`, ...Object.entries(result.metrics).map(([name, value]) => `  ${name} ${value}`), '', `Results: ${result.dir}/{${result.files.join(',')}}`].join('\n'));
}

function printTest(experiment: string, model: string, result: TestResult, where = ''): void {
  const heading = `Tested ${experiment}/${model} (best model from epoch ${result.bestEpoch}) on ${result.evaluation.rows} test rows${where}`;
  if (result.task === 'regression') {
    const r = result.evaluation;
    console.log([heading, `  R² ${r.r2.toFixed(4)}   RMSE ${r.rmse.toPrecision(5)}   MAE ${r.mae.toPrecision(5)}`, '', `Results: ${result.dir}/{${result.files.join(',')}}`].join('\n'));
    return;
  }
  const e = result.evaluation;
  const width = Math.max(8, ...e.perClass.map((r) => r.class.length));
  const lines = [
    heading,
    `  accuracy ${e.accuracy.toFixed(4)}   macro F1 ${e.macro.f1.toFixed(4)}`,
    '',
    `  ${'class'.padEnd(width)}  precision  recall     f1  support`,
    ...e.perClass.map((r) => `  ${r.class.padEnd(width)}  ${r.precision.toFixed(4).padStart(9)}  ${r.recall.toFixed(4).padStart(6)}  ${r.f1.toFixed(4)}  ${String(r.support).padStart(7)}`),
    '',
    '  confusion matrix (rows: actual, columns: predicted)',
    ...e.confusion.map((row, i) => `  ${e.perClass[i]!.class.padEnd(width)}  ${row.map((v) => String(v).padStart(5)).join('')}`),
    '',
    `Results: ${result.dir}/{${result.files.join(',')}}`,
  ];
  console.log(lines.join('\n'));
}
