// Quality bench: the default model's test score against scikit-learn's MLP with the same hidden layers
// on the same prepared split, mean of 5 seeds, on five scikit-learn datasets written to CSV by pandas:
// regression on diabetes and Friedman #1 (2,000 rows), classification on breast cancer, wine, digits.
// Score: R² (regression) or accuracy (classification). Target: expman within 0.03 of scikit-learn.
import { promises as fs } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, OUTPUT_DIR, bundle, expman, findPython, printTable, writeResult } from './lib.mjs';

export const TARGETS = { max_gap: 0.03 };
const DATASETS = [
  { name: 'diabetes', task: 'regression' },
  { name: 'friedman1', task: 'regression' },
  { name: 'breast_cancer', task: 'classification' },
  { name: 'wine', task: 'classification' },
  { name: 'digits', task: 'classification' },
];
const HIDDEN = [16, 16]; // model.hidden_units default
// scikit-learn's L2 penalty: its default, 1e-4, although expman's built-in model has no weight penalty
// (QUALITY_ALPHA=0 makes the two match exactly; RESULTS.md reports both).
const ALPHA = Number(process.env.QUALITY_ALPHA ?? 1e-4);
const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;

export async function run({ quick = false } = {}) {
  const python = findPython('sklearn');
  if (!python) {
    console.log('quality: scikit-learn not found (install Debian python3-sklearn); not judged');
    return { pass: null };
  }
  const seeds = quick ? [0] : [0, 1, 2, 3, 4];
  const data = await fs.mkdtemp(join(tmpdir(), 'expman-bench-quality-'));
  const script = join(BENCH_DIR, 'quality_sklearn.py');
  const splitEntry = await bundle('quality-split');
  try {
    await fs.mkdir(join(data, 'datasets', 'external'), { recursive: true });
    const written = spawnSync(python.python, [script, 'write', join(data, 'datasets', 'external')], { encoding: 'utf8' });
    if (written.status !== 0) throw new Error(`quality_sklearn.py write: ${written.stderr}`);
    const rows = [];
    // QUALITY_DATASETS=diabetes,wine: only those (for iterating); QUALITY_SET="k=v k=v": extra --set on the expman side.
    const only = process.env.QUALITY_DATASETS?.split(',').filter(Boolean);
    const extra = (process.env.QUALITY_SET ?? '').split(/\s+/).filter(Boolean).flatMap((kv) => ['--set', kv]);
    for (const { name, task } of DATASETS.filter((d) => !only || only.includes(d.name))) {
      const prep = JSON.parse(expman(['preprocess', '--data', data, '--dataset', name, '--name', name, '--label', 'target', '--json']).trim().split('\n').pop());
      if (prep.info.task !== task) throw new Error(`${name}: detected task ${prep.info.task}, expected ${task}`);
      await fs.mkdir(join(data, 'experiments', name), { recursive: true });
      await fs.writeFile(join(data, 'experiments', name, 'config.toml'), `[data]\ndataset = "${name}"\n`);
      const ours = [];
      for (const seed of seeds) {
        const model = `seed-${seed}`;
        expman(['train', '--data', data, '--experiment', name, '--model', model, '--json', '--set', `training.seed=${seed}`, ...extra]);
        const tested = JSON.parse(expman(['test', '--data', data, '--experiment', name, '--model', model, '--json']).trim().split('\n').pop());
        ours.push(task === 'regression' ? tested.r2 : tested.accuracy);
      }
      // The exact arrays each run trained, validated and was tested on, for scikit-learn (bench/quality-split.ts).
      const splits = join(data, 'splits', name);
      await fs.mkdir(splits, { recursive: true });
      const runs = seeds.map((seed) => join(data, 'experiments', name, 'models', `seed-${seed}`));
      const exported = spawnSync(process.execPath, [splitEntry, '--data', data, '--out', splits, ...runs], { encoding: 'utf8' });
      if (exported.status !== 0) throw new Error(`quality-split ${name}: ${exported.stderr}`);
      const files = seeds.map((seed) => join(splits, `seed-${seed}.json`));
      const scored = spawnSync(python.python, [script, 'score', HIDDEN.join(','), String(ALPHA), ...files], { encoding: 'utf8' });
      if (scored.status !== 0) throw new Error(`quality_sklearn.py score ${name}: ${scored.stderr}`);
      const fits = scored.stdout.trim().split('\n').map((line) => JSON.parse(line));
      const theirs = fits.map((fit) => fit.score);
      const gap = mean(theirs) - mean(ours);
      rows.push({ dataset: name, task, metric: task === 'regression' ? 'R²' : 'accuracy', rows: prep.info.rows.total, test_rows: prep.info.rows.test, expman: mean(ours), sklearn: mean(theirs), gap, expman_seeds: ours, sklearn_seeds: theirs, sklearn_best_epochs: fits.map((fit) => fit.best_epoch), pass: gap <= TARGETS.max_gap });
    }
    printTable(
      `quality: default model vs scikit-learn ${python.version} MLP (hidden ${HIDDEN.join(',')}), test score, mean of ${seeds.length} seed(s)`,
      ['dataset', 'task', 'metric', 'test rows', 'expman', 'sklearn', 'sklearn − expman', 'target ≤ 0.03'],
      rows.map((r) => [r.dataset, r.task, r.metric, r.test_rows, r.expman.toFixed(4), r.sklearn.toFixed(4), r.gap.toFixed(4), r.pass ? 'PASS' : 'MISS']),
      [
        'expman: default config (only data.dataset and training.seed set).',
        `sklearn: MLPRegressor/MLPClassifier (Adam 0.01, batch 16, alpha ${ALPHA}) on the same fitting/validation/test arrays as each expman run,`,
        'one partial_fit epoch at a time with expman\'s early stopping (val loss, patience 20, min_delta 1e-4, best epoch kept): bench/quality_sklearn.py.',
      ],
    );
    // The table as CSV too (pandas-readable), beside the JSON result.
    await fs.mkdir(OUTPUT_DIR, { recursive: true });
    const csv = ['dataset,task,metric,rows,test_rows,expman,sklearn,gap,pass', ...rows.map((r) => [r.dataset, r.task, r.metric, r.rows, r.test_rows, r.expman, r.sklearn, r.gap, r.pass].join(','))].join('\n');
    await fs.writeFile(join(OUTPUT_DIR, 'quality.csv'), `${csv}\n`);
    await writeResult('quality', { targets: TARGETS, seeds, hidden_units: HIDDEN, sklearn: python.version, sklearn_alpha: ALPHA, rows });
    return { pass: quick ? null : rows.every((r) => r.pass) };
  } finally {
    await fs.rm(data, { recursive: true, force: true });
  }
}
