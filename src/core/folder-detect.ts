import { promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ExpmanError } from './errors.js';

/** What a folder handed to the app (command line, second launch, drag and drop, Open…) turned out to be. */
export interface DetectedFolder {
  kind: 'data' | 'experiment' | 'model';
  dataDir: string;
  experiment?: string;
  model?: string;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Recognises a `$DATA` root (it has datasets/ or experiments/), an experiment folder
 * (`<data>/experiments/<exp>`) or a model folder (`<data>/experiments/<exp>/models/<model>`); a folder
 * inside a model (logs/, checkpoints/…) opens its model. Anything else is refused with a message that says
 * what a data folder looks like.
 */
export async function detectFolder(path: string): Promise<DetectedFolder> {
  const abs = resolve(path);
  if (!(await isDir(abs))) {
    throw new ExpmanError('DATA_DIR', `${abs} is not a folder`, { file: abs });
  }
  // Walk up a few levels: a model's logs/ or checkpoints/<epoch>/ folder opens the model.
  for (let dir = abs, depth = 0; depth < 4; depth++, dir = dirname(dir)) {
    const models = dirname(dir);
    const exp = dirname(models);
    const experiments = dirname(exp);
    if (basename(models) === 'models' && basename(experiments) === 'experiments') {
      if ((await isFile(resolve(dir, 'config.toml'))) || (await isFile(resolve(dir, 'status.json')))) {
        return { kind: 'model', dataDir: dirname(experiments), experiment: basename(exp), model: basename(dir) };
      }
    }
    if (dir === dirname(dir)) break;
  }
  if (basename(dirname(abs)) === 'experiments' && ((await isDir(resolve(abs, 'models'))) || (await isFile(resolve(abs, 'config.toml'))))) {
    return { kind: 'experiment', dataDir: dirname(dirname(abs)), experiment: basename(abs) };
  }
  if ((await isDir(resolve(abs, 'datasets'))) || (await isDir(resolve(abs, 'experiments')))) {
    return { kind: 'data', dataDir: abs };
  }
  throw new ExpmanError(
    'DATA_DIR',
    `${abs} is not an Experiment Manager data folder: open a folder that contains datasets/ or experiments/, an experiments/<name> folder, or a run folder experiments/<name>/models/<run>`,
    { file: abs },
  );
}
