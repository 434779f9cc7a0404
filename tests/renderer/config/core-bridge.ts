import type { ConfigFileDto, ConfigSchemaDto, ConfigValue, FileVersion, ValidateResult } from '../../../src/shared/config.js';

/**
 * The real core config functions, bound to a fresh temporary data folder, as the editor's props need
 * them. Renderer tests drive the components against the core itself rather than canned results.
 */
export interface CoreConfigBridge {
  root: string;
  experiment: string;
  schema: ConfigSchemaDto;
  read: () => Promise<ConfigFileDto>;
  validate: (text: string) => Promise<ValidateResult>;
  edit: (text: string, key: string, value: ConfigValue | null) => Promise<string>;
  save: (text: string, base: FileVersion | null) => Promise<FileVersion>;
  /** Writes the file directly, as another tab, an editor or the CLI would. */
  writeElsewhere: (text: string) => void;
  /** The file as it is on disk now ("" when absent). */
  fileText: () => string;
}

export interface CoreConfigBridgeOptions {
  /** Text of the data folder's own default-config.toml (none when absent). */
  defaultConfig?: string;
  /** The experiment's config.toml already on disk. */
  experimentConfig?: string;
  overrides?: string[];
}

/**
 * Loads the Node-side implementation (tests/helpers/config-core.ts) and returns its factory. Call it at
 * the top level of a test file (`await`), so the temporary-folder cleanup registers as a file-level hook.
 * The specifier is a variable on purpose: this file is type-checked with the renderer's tsconfig, which
 * has no Node types, so it must not pull core modules into that program; the implementation is
 * type-checked with the Node tsconfig against this same interface.
 */
export async function loadCoreConfigBridge(): Promise<(options?: CoreConfigBridgeOptions) => CoreConfigBridge> {
  const implementation = '../../helpers/config-core.ts';
  const loaded = (await import(/* @vite-ignore */ implementation)) as { coreConfigBridge: (options?: CoreConfigBridgeOptions) => CoreConfigBridge };
  return loaded.coreConfigBridge;
}
