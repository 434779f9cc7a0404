import { constants, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExpmanError } from './errors.js';
import { isValidName, NAME_RULE } from '../shared/names.js';

/**
 * The $DATA folder layout. Everything expman reads or writes lives under one root so the folder can be
 * archived and synchronised in one go.
 */
export interface Workspace {
  readonly root: string;
}

export const DEFAULT_DATASET_NAME = 'prepared-dataset';
export const DEFAULT_EXPERIMENT = 'default';

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, flag || env['DATA'] || 'data');
}

export function workspace(root: string): Workspace {
  return { root: resolve(root) };
}

export const paths = {
  externalDir: (ws: Workspace) => join(ws.root, 'datasets', 'external'),
  externalCsv: (ws: Workspace, dataset: string) => join(ws.root, 'datasets', 'external', `${dataset}.csv`),
  datasetsDir: (ws: Workspace) => join(ws.root, 'datasets'),
  datasetDir: (ws: Workspace, name: string) => join(ws.root, 'datasets', name),
  experimentsDir: (ws: Workspace) => join(ws.root, 'experiments'),
  experimentDir: (ws: Workspace, exp: string) => join(ws.root, 'experiments', exp),
  experimentConfig: (ws: Workspace, exp: string) => join(ws.root, 'experiments', exp, 'config.toml'),
  modelsDir: (ws: Workspace, exp: string) => join(ws.root, 'experiments', exp, 'models'),
  modelDir: (ws: Workspace, exp: string, model: string) => join(ws.root, 'experiments', exp, 'models', model),
  resultsDir: (ws: Workspace, exp: string, model: string) => join(ws.root, 'experiments', exp, 'results', model),
  defaultConfig: (ws: Workspace) => join(ws.root, 'default-config.toml'),
  /** Model modules (`model.type = "<name>"` → models/<name>.mjs): in $DATA, so archive and sync carry them. */
  modelModulesDir: (ws: Workspace) => join(ws.root, 'models'),
  modelModule: (ws: Workspace, name: string) => join(ws.root, 'models', `${name}.mjs`),
  appLog: (ws: Workspace) => join(ws.root, 'logs', 'expman.log'),
};

/** Files inside a model (run) folder. */
export const runFiles = {
  config: (dir: string) => join(dir, 'config.toml'),
  status: (dir: string) => join(dir, 'status.json'),
  bestModel: (dir: string) => join(dir, 'best-model'),
  checkpoints: (dir: string) => join(dir, 'checkpoints'),
  checkpoint: (dir: string, epoch: number) => join(dir, 'checkpoints', `model-checkpoint-epoch-${epoch}`),
  logs: (dir: string) => join(dir, 'logs'),
  runLog: (dir: string) => join(dir, 'logs', 'run.log'),
  metrics: (dir: string) => join(dir, 'logs', 'metrics.jsonl'),
  /** The exact model module a run trained with (a copy): re-runs and resumes build from it. */
  modelModule: (dir: string) => join(dir, 'model-module.mjs'),
};

/** Names of datasets, experiments and models become folder names: no separators, no `..`, no surprises. */
export function checkName(kind: string, name: string): string {
  if (!isValidName(name)) {
    throw new ExpmanError(
      'USAGE',
      `invalid ${kind} name ${JSON.stringify(name)}: use ${NAME_RULE}`,
      { key: kind, expected: 'name matching [A-Za-z0-9][A-Za-z0-9._-]*' },
    );
  }
  return name;
}

/** The data folder must exist (or be creatable) and be writable before anything is written into it. */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ExpmanError('NOT_WRITABLE', `${dir}: data folder is not writable (${code})`, { file: dir });
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}
