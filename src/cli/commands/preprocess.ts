import { preprocess, validateSeed, validateSplit } from '../../core/datasets/preprocess.js';
import { datasetTask } from '../../core/datasets/dataset-info.js';
import { ExpmanError } from '../../core/errors.js';
import { DEFAULT_DATASET_NAME } from '../../core/workspace.js';
import { TASKS, type Task } from '../../shared/datasets.js';
import { dataWorkspace, emitJson, parse, parseNumberFlag, type CommandContext } from '../context.js';
import { ProgressBar } from '../progress-bar.js';

export const preprocessHelp = `expman preprocess [--split=0.8] [--separate-sets] [--seed N] [--dataset iris] [--name NAME] [--label COLUMN] [--task classification|regression] [--force]

Splits datasets/external/<dataset>.csv into a prepared dataset datasets/<name>/ with a stratified,
seeded shuffle split: train.csv + test.csv with --separate-sets, else one data.csv with a "set" column,
and info.toml (task, columns, dtypes, rows, class balance or target statistics, split, seed, sha256 of
each file). The task is detected from the label: a numeric label with more than 20 distinct values is
regression (the split is stratified on quantile bins of the target), anything else classification.

  --split F         fraction of rows in the training set, 0 < F < 1 (default 0.8)
  --separate-sets   write train.csv and test.csv instead of one data.csv
  --seed N          random seed of the split, 0 to 4294967295 (default 42)
  --dataset NAME    raw dataset under datasets/external (default iris)
  --name NAME       prepared dataset folder (default prepared-dataset)
  --label COLUMN    label column (default: the last column)
  --task T          classification or regression, overriding the detected task
  --force           replace an existing prepared dataset with different content`;

function parseTask(value: string): Task {
  if (!(TASKS as readonly string[]).includes(value)) {
    throw new ExpmanError('USAGE', `--task must be one of ${TASKS.join(', ')}, got ${JSON.stringify(value)}`, { key: 'task', expected: TASKS.join(' | ') });
  }
  return value as Task;
}

export async function preprocessCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, {
    split: { type: 'string' },
    'separate-sets': { type: 'boolean', default: false },
    seed: { type: 'string' },
    dataset: { type: 'string', default: 'iris' },
    name: { type: 'string', default: DEFAULT_DATASET_NAME },
    label: { type: 'string' },
    task: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const split = validateSplit(parseNumberFlag('split', values.split, 0.8));
  const seed = validateSeed(parseNumberFlag('seed', values.seed, 42, true));
  const task = values.task === undefined ? undefined : parseTask(values.task);
  const ws = dataWorkspace(values.data);
  const bar = new ProgressBar();
  const started = Date.now();
  const result = await preprocess(ws, {
    dataset: values.dataset,
    name: values.name,
    split,
    separateSets: values['separate-sets'],
    seed,
    label: values.label,
    ...(task ? { task } : {}),
    force: values.force,
    onProgress: values.json ? undefined : (p) => bar.update(p),
  });
  bar.clear();
  const { info } = result;
  if (values.json) {
    emitJson({ event: 'preprocessed', dir: result.dir, unchanged: result.unchanged, info });
    return 0;
  }
  const balance = (set: Record<string, number>): string => Object.entries(set).map(([k, v]) => `${k} ${v}`).join(', ');
  const target = (set: 'train' | 'test'): string => {
    const t = info.target?.[set];
    return t ? `target mean ${t.mean.toPrecision(4)}, std ${t.std.toPrecision(4)}, ${t.min}…${t.max}` : '';
  };
  const regression = datasetTask(info) === 'regression';
  console.log(
    [
      result.unchanged ? `Prepared dataset ${info.dataset.name} is up to date (identical content): ${result.dir}` : `Prepared dataset ${info.dataset.name} in ${result.dir} (${Date.now() - started} ms)`,
      `  source   ${info.dataset.source} (${info.rows.total} rows, label "${info.label.column}", ${regression ? 'regression' : `classification, ${info.label.classes.length} classes`})`,
      `  train    ${info.rows.train} rows: ${regression ? target('train') : balance(info.class_balance.train)}`,
      `  test     ${info.rows.test} rows: ${regression ? target('test') : balance(info.class_balance.test)}`,
      `  files    ${Object.keys(info.files).join(', ')}, info.toml (split ${info.split.train_fraction}, seed ${info.split.seed})`,
    ].join('\n'),
  );
  return 0;
}
