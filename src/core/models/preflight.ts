import type { ResolvedConfig } from '../config/resolve.js';
import type { FlatConfig } from '../config/schema.js';
import { loadPreparedDataset } from '../datasets/load.js';
import { ExpmanError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Provenance } from '../provenance.js';
import type { Tf } from '../training/backend.js';
import { buildRunModel } from '../training/model.js';
import { runFiles, type Workspace } from '../workspace.js';
import { importModelModule } from './load-module.js';
import { checkModuleParams, checkRunModule, moduleSource, readModuleSource, sha256, usesModule, type ModuleProvenance } from './module-run.js';
import { relative } from 'node:path';

/**
 * Checks a new run's model before its folder exists: for a module, imports it, checks `[model.params]`
 * against its schema, builds it once on the chosen backend (what build returns, input and output
 * shapes) and throws the model away. Runs user code: call it only in the training worker / CLI.
 */
export async function checkModelModule(ws: Workspace, resolved: ResolvedConfig, tf: Tf, source?: string): Promise<void> {
  const config = resolved.values;
  if (!usesModule(config)) {
    const keys = Object.keys(config['model.params']);
    if (keys.length) {
      const origin = resolved.tableOrigins?.[`model.params.${keys[0]}`];
      throw new ExpmanError('CONFIG_INVALID', `${origin?.file ? `${origin.file}${origin.line ? `:${origin.line}` : ''}: ` : ''}model.params.${keys[0]}: model params are for model modules; model.type is "simple"`, {
        key: `model.params.${keys[0]}`,
        ...(origin?.file ? { file: origin.file, line: origin.line } : {}),
      });
    }
    return;
  }
  const file = source ?? moduleSource(ws, config);
  await readModuleSource(file, config);
  const module = await importModelModule(file);
  checkModuleParams(module, resolved);
  const data = await loadPreparedDataset(ws, config['data.dataset']);
  const model = await buildRunModel(tf, config, { inputs: data.features.length, classes: data.classes.length, task: data.task }, file, module);
  model.optimizer?.dispose();
  model.dispose();
}

export interface ModuleRun {
  /** Writes the module's copy into the run folder; returns what provenance records. */
  copyInto(runDir: string): Promise<ModuleProvenance>;
}

/**
 * Reads a new run's module (refused when missing, or for a re-run when it no longer has the recorded
 * sha256) before the run folder is created; the bytes read are the bytes copied.
 */
export async function prepareModuleRun(ws: Workspace, config: FlatConfig, source: string | undefined, expectedHash: string | undefined): Promise<ModuleRun | null> {
  if (!usesModule(config)) return null;
  const file = source ?? moduleSource(ws, config);
  const bytes = await readModuleSource(file, config);
  const hash = sha256(bytes);
  if (expectedHash !== undefined && hash !== expectedHash) {
    throw new ExpmanError('MODEL_MODULE', `${file} changed since the original run (sha256 differs): a re-run would not be exact`, { file });
  }
  return {
    async copyInto(runDir) {
      await writeFileAtomic(runFiles.modelModule(runDir), bytes);
      return { model_module_source: relative(ws.root, file), model_module_sha256: hash };
    },
  };
}

/** The module file a prepared run trains from: its own copy, still as recorded (undefined for "simple"). */
export async function runModuleFile(runDir: string, config: FlatConfig, provenance: Partial<Provenance>, consequence: string): Promise<string | undefined> {
  if (!usesModule(config)) return undefined;
  return checkRunModule(runDir, provenance.model_module_sha256, config, consequence);
}
