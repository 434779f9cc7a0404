import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { throwIssues, type ResolvedConfig } from '../config/resolve.js';
import type { FlatConfig } from '../config/schema.js';
import { ExpmanError } from '../errors.js';
import { paths, runFiles, type Workspace } from '../workspace.js';
import type { ModelModule } from './load-module.js';
import { checkParams } from './params-schema.js';

/** `model.type` of the built-in fully connected network; any other value names a model module. */
export const BUILTIN_MODEL = 'simple';

export function usesModule(config: FlatConfig): boolean {
  return config['model.type'] !== BUILTIN_MODEL;
}

/** What a run records about the module it trained with ([provenance] of its config.toml). */
export interface ModuleProvenance {
  /** Where the module was copied from, relative to $DATA (or the original run's copy for a re-run). */
  model_module_source: string;
  model_module_sha256: string;
}

/**
 * The module file a new run copies: `$DATA/models/<model.type>.mjs`. The name follows the name rule
 * (checked with the config), so it cannot point outside the data folder.
 */
export function moduleSource(ws: Workspace, config: FlatConfig): string {
  return paths.modelModule(ws, config['model.type']);
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The module's bytes, or MODEL_MODULE naming the file and what `model.type` asked for. */
export async function readModuleSource(file: string, config: FlatConfig): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpmanError(
      'MODEL_MODULE',
      `${file}: model module ${JSON.stringify(config['model.type'])} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code})`} (model.type names "simple" or a file models/<name>.mjs in the data folder)`,
      { file, key: 'model.type' },
    );
  }
}

/** The run's copy must still be what it trained with: an edited copy would make a resume or re-run differ. */
export async function checkRunModule(runDir: string, expected: string | undefined, config: FlatConfig, consequence: string): Promise<string> {
  const file = runFiles.modelModule(runDir);
  const bytes = await readModuleSource(file, config);
  if (expected !== undefined && sha256(bytes) !== expected) {
    throw new ExpmanError('MODEL_MODULE', `${file} changed since the run was created (sha256 differs from provenance): ${consequence}`, { file });
  }
  return file;
}

/** `[model.params]` against the module's paramsSchema; a module without one takes any table. */
export function checkModuleParams(module: ModelModule, resolved: ResolvedConfig): void {
  if (!module.paramsSchema) return;
  const issues = checkParams(resolved.values['model.params'], module.paramsSchema, resolved.tableOrigins, module.file);
  if (issues.length) throwIssues(issues);
}

/**
 * What a re-run of the run in `sourceDir` copies: the original run's own module copy, which must still
 * have the recorded sha256 (never the maybe-edited file in $DATA/models). Empty for built-in model runs.
 */
export function rerunModuleOptions(sourceDir: string, provenance: { model_module_sha256?: string }): { moduleSource?: string; expectModuleHash?: string } {
  return provenance.model_module_sha256 ? { moduleSource: runFiles.modelModule(sourceDir), expectModuleHash: provenance.model_module_sha256 } : {};
}
