import { preprocess, validateSeed, validateSplit } from '../../core/datasets/preprocess.js';
import { DEFAULT_DATASET_NAME } from '../../core/workspace.js';
import { dataWorkspace, emitJson, parse, parseNumberFlag, type CommandContext } from '../context.js';
import { ProgressBar } from '../progress-bar.js';

export const preprocessHelp = `expman preprocess [--split=0.8] [--separate-sets] [--seed N] [--dataset iris] [--name NAME] [--label COLUMN] [--force]

Splits datasets/external/<dataset>.csv into a prepared dataset datasets/<name>/ with a stratified,
seeded shuffle split: train.csv + test.csv with --separate-sets, else one data.csv with a "set" column,
and info.toml (columns, dtypes, rows, class balance, split, seed, sha256 of each file).

  --split F         fraction of rows in the training set, 0 < F < 1 (default 0.8)
  --separate-sets   write train.csv and test.csv instead of one data.csv
  --seed N          random seed of the split, 0 to 4294967295 (default 42)
  --dataset NAME    raw dataset under datasets/external (default iris)
  --name NAME       prepared dataset folder (default prepared-dataset)
  --label COLUMN    label column (default: the last column)
  --force           replace an existing prepared dataset with different content`;

export async function preprocessCommand(ctx: CommandContext): Promise<number> {
  const { values } = parse(ctx.argv, {
    split: { type: 'string' },
    'separate-sets': { type: 'boolean', default: false },
    seed: { type: 'string' },
    dataset: { type: 'string', default: 'iris' },
    name: { type: 'string', default: DEFAULT_DATASET_NAME },
    label: { type: 'string' },
    force: { type: 'boolean', default: false },
  });
  const split = validateSplit(parseNumberFlag('split', values.split, 0.8));
  const seed = validateSeed(parseNumberFlag('seed', values.seed, 42, true));
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
  console.log(
    [
      result.unchanged ? `Prepared dataset ${info.dataset.name} is up to date (identical content): ${result.dir}` : `Prepared dataset ${info.dataset.name} in ${result.dir} (${Date.now() - started} ms)`,
      `  source   ${info.dataset.source} (${info.rows.total} rows, label "${info.label.column}", ${info.label.classes.length} classes)`,
      `  train    ${info.rows.train} rows: ${balance(info.class_balance.train)}`,
      `  test     ${info.rows.test} rows: ${balance(info.class_balance.test)}`,
      `  files    ${Object.keys(info.files).join(', ')}, info.toml (split ${info.split.train_fraction}, seed ${info.split.seed})`,
    ].join('\n'),
  );
  return 0;
}
