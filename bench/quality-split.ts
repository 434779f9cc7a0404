// The quality bench's bridge to scikit-learn, bundled on the fly by bench/lib.mjs (the core is imported
// from src/). For each finished expman run it writes the exact arrays that run trained, validated and is
// tested on: the fitting and validation rows of its seeded split (train.ts trainingArrays, from the run's
// own config.toml snapshot), standardised with the fitting rows' statistics, and the test rows scaled the
// same way. scikit-learn then fits on the same numbers and early-stops on the same validation rows, so the
// comparison differs only in the two libraries' training, not in the data each one sees.
//
// usage: node quality-split.mjs --data DIR --out DIR RUN_DIR...   (writes OUT/<run name>.json each)
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPreparedDataset } from '../src/core/datasets/load.js';
import { readRunConfig } from '../src/core/training/run-folder.js';
import { standardizeRows, trainingArrays } from '../src/core/training/train.js';
import { workspace } from '../src/core/workspace.js';

const { values, positionals } = parseArgs({ options: { data: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
const ws = workspace(values.data!);

for (const dir of positionals) {
  const config = (await readRunConfig(dir)).config.values;
  const data = await loadPreparedDataset(ws, config['data.dataset']);
  const arrays = trainingArrays(data, config);
  const nf = arrays.features;
  const rows = (x: Float32Array, count: number): number[][] => Array.from({ length: count }, (_, r) => Array.from(x.subarray(r * nf, (r + 1) * nf)));
  // Classification labels as class ids (the arrays hold one-hot rows); regression as the scaled target.
  const labels = (y: Float32Array, count: number): number[] =>
    data.task === 'regression' ? Array.from(y) : Array.from({ length: count }, (_, r) => y.subarray(r * arrays.classes, (r + 1) * arrays.classes).indexOf(1));
  const split = {
    task: data.task,
    seed: config['training.seed'],
    classes: arrays.classes,
    target_scaling: arrays.targetScaling,
    fit: { x: rows(arrays.train.x, arrays.train.rows), y: labels(arrays.train.y, arrays.train.rows) },
    validation: { x: rows(arrays.val.x, arrays.val.rows), y: labels(arrays.val.y, arrays.val.rows) },
    // The test set in original units (target) or class ids: scored like `expman test` scores it.
    test: {
      x: rows(standardizeRows(data.test.x, nf, arrays.normalization), data.test.rows),
      y: data.task === 'regression' ? Array.from(data.test.target) : Array.from(data.test.y),
    },
  };
  await fs.writeFile(join(values.out!, `${basename(dir)}.json`), JSON.stringify(split));
}
