import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { ExpmanError } from '../errors.js';
import { paths, type Workspace } from '../workspace.js';
import { scanCsv } from './csv-scan.js';
import { datasetTask, readDatasetInfo, type DatasetInfo } from './dataset-info.js';
import { numericValues, type Task } from './task.js';

/** Feature matrix (row-major) and labels of one set: class ids (classification) or target values (regression). */
export interface LabelledSet {
  x: Float32Array;
  /** Class id per row (classification; zeros for regression). */
  y: Int32Array;
  /** Target value per row (regression; empty for classification). */
  target: Float64Array;
  rows: number;
}

export interface PreparedDataset {
  name: string;
  info: DatasetInfo;
  task: Task;
  features: string[];
  classes: string[];
  train: LabelledSet;
  test: LabelledSet;
  /** sha256 of each file, as verified against info.toml. */
  hashes: Record<string, string>;
}

async function readVerified(ws: Workspace, info: DatasetInfo, name: string, file: string): Promise<Buffer> {
  const path = join(paths.datasetDir(ws, name), file);
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch {
    throw new ExpmanError('DATASET_MISSING', `${path}: file listed in info.toml is missing; run \`expman preprocess --force --name ${name}\``, { file: path });
  }
  const expected = info.files[file]?.sha256;
  const actual = createHash('sha256').update(data).digest('hex');
  if (expected !== actual) {
    throw new ExpmanError(
      'DATASET_CHANGED',
      `${relative(ws.root, path)}: content does not match the sha256 in info.toml (file was edited after preprocessing); run \`expman preprocess --force --name ${name}\``,
      { file: path },
    );
  }
  return data;
}

function toSet(data: Buffer, file: string, label: string, task: Task, classes: string[], features: string[], setColumn?: string): Map<string, LabelledSet> {
  const scan = scanCsv(data, { file, categorical: setColumn ? [label, setColumn] : [label], collectValues: true });
  if (scan.numericColumns.join(',') !== features.join(',')) {
    throw new ExpmanError('CSV_INVALID', `${file}: feature columns ${scan.numericColumns.join(', ')} do not match info.toml (${features.join(', ')})`, { file });
  }
  const labelCat = scan.categories.get(label)!;
  const numbers = task === 'regression' ? numericValues(labelCat.values) : [];
  const remap = labelCat.values.map((value, id) => {
    if (task === 'regression') {
      if (!Number.isFinite(numbers[id])) throw new ExpmanError('CSV_INVALID', `${file}: regression label ${JSON.stringify(value)} is not a number`, { file, key: label });
      return 0;
    }
    const index = classes.indexOf(value);
    if (index < 0) throw new ExpmanError('CSV_INVALID', `${file}: label ${JSON.stringify(value)} is not one of the classes in info.toml`, { file, key: label });
    return index;
  });
  const nf = features.length;
  const groups = new Map<string, number[]>();
  const setCat = setColumn ? scan.categories.get(setColumn)! : undefined;
  for (let r = 0; r < scan.rows; r++) {
    const group = setCat ? setCat.values[setCat.ids[r]!]! : 'all';
    let rows = groups.get(group);
    if (!rows) groups.set(group, (rows = []));
    rows.push(r);
  }
  const out = new Map<string, LabelledSet>();
  for (const [group, rows] of groups) {
    const x = new Float32Array(rows.length * nf);
    const y = new Int32Array(rows.length);
    const target = new Float64Array(task === 'regression' ? rows.length : 0);
    rows.forEach((r, i) => {
      x.set(scan.values!.subarray(r * nf, (r + 1) * nf), i * nf);
      y[i] = remap[labelCat.ids[r]!]!;
      if (task === 'regression') target[i] = numbers[labelCat.ids[r]!]!;
    });
    out.set(group, { x, y, target, rows: rows.length });
  }
  return out;
}

/** Loads a prepared dataset after checking every file against the sha256 recorded in its info.toml. */
export async function loadPreparedDataset(ws: Workspace, name: string): Promise<PreparedDataset> {
  const info = await readDatasetInfo(ws, name);
  const label = info.label.column;
  const task = datasetTask(info);
  const classes = task === 'regression' ? [] : info.label.classes;
  const features = info.columns.filter((c) => c.role === 'feature').map((c) => c.name);
  const hashes = Object.fromEntries(Object.entries(info.files).map(([file, f]) => [file, f.sha256]));
  const empty: LabelledSet = { x: new Float32Array(0), y: new Int32Array(0), target: new Float64Array(0), rows: 0 };
  if (info.split.separate_sets) {
    const train = toSet(await readVerified(ws, info, name, 'train.csv'), `datasets/${name}/train.csv`, label, task, classes, features).get('all') ?? empty;
    const test = toSet(await readVerified(ws, info, name, 'test.csv'), `datasets/${name}/test.csv`, label, task, classes, features).get('all') ?? empty;
    return { name, info, task, features, classes, train, test, hashes };
  }
  const sets = toSet(await readVerified(ws, info, name, 'data.csv'), `datasets/${name}/data.csv`, label, task, classes, features, 'set');
  return { name, info, task, features, classes, train: sets.get('train') ?? empty, test: sets.get('test') ?? empty, hashes };
}
