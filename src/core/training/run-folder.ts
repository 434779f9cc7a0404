import { promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseConfigText, resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { parseToml } from '../config/toml-text.js';
import { ExpmanError } from '../errors.js';
import type { Provenance } from '../provenance.js';
import { exists, paths, runFiles, workspace, type Workspace } from '../workspace.js';

export interface RunFolder {
  ws: Workspace;
  experiment: string;
  model: string;
  dir: string;
}

/** Finds the data folder, experiment and model of a run folder `<DATA>/experiments/<exp>/models/<model>`. */
export function locateRun(path: string): RunFolder {
  const dir = resolve(path).replace(/[\\/]+$/, '');
  const modelsDir = dirname(dir);
  const expDir = dirname(modelsDir);
  const experimentsDir = dirname(expDir);
  if (basename(modelsDir) !== 'models' || basename(experimentsDir) !== 'experiments') {
    throw new ExpmanError('RUN_MISSING', `${path}: not a run folder (expected <data>/experiments/<experiment>/models/<model>)`, { file: path });
  }
  return { ws: workspace(dirname(experimentsDir)), experiment: basename(expDir), model: basename(dir), dir };
}

/** Reads a run's completed config.toml: the configuration (validated) and its [provenance]. */
export async function readRunConfig(dir: string): Promise<{ config: ResolvedConfig; provenance: Partial<Provenance>; file: string }> {
  const file = runFiles.config(dir);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ExpmanError('RUN_MISSING', `${dir}: not a run folder (no config.toml)`, { file });
  }
  const layer = parseConfigText(text, file, 'config');
  // parseConfigText accepted the text, so this parse succeeds (a BOM included: parseToml strips it).
  const provenance = (parseToml(text) as { provenance?: Partial<Provenance> }).provenance ?? {};
  return { config: resolveConfig([layer]), provenance, file };
}

/** run-YYYYMMDD-HHMMSS in local time. */
function timestampName(date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `run-${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** A new run folder name, run-<date>-<time>, made unique within the experiment. */
export async function freshModelName(ws: Workspace, experiment: string): Promise<string> {
  const base = timestampName();
  let name = base;
  for (let i = 2; await exists(paths.modelDir(ws, experiment, name)); i++) name = `${base}-${i}`;
  return name;
}
