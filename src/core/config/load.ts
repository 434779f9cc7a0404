import { join } from 'node:path';
import { packageRoot } from '../version.js';
import { exists, paths, type Workspace } from '../workspace.js';
import { describeOrigin, parseOverrides, readConfigFile, resolveConfig, type ConfigLayer, type ResolvedConfig } from './resolve.js';
import { CONFIG_KEYS } from './schema.js';

export interface ConfigRequest {
  experiment: string;
  /** --config FILE: replaces the experiment's config.toml layer. */
  configFile?: string;
  /** --set key=value, in order. */
  overrides?: readonly string[];
}

/** The default-config.toml layer: the data folder's own if it has one, else the one shipped with expman. */
export async function defaultConfigPath(ws: Workspace): Promise<string> {
  const own = paths.defaultConfig(ws);
  return (await exists(own)) ? own : join(packageRoot(), 'default-config.toml');
}

/** The default-config.toml layer as loadConfig uses it (null when neither file exists). */
export async function loadDefaultLayer(ws: Workspace): Promise<ConfigLayer | null> {
  return readConfigFile(await defaultConfigPath(ws), 'default-config.toml', false);
}

/**
 * Resolves a run's configuration with the strict precedence
 * code defaults < default-config.toml < experiment config.toml (or --config) < --set overrides.
 */
export async function loadConfig(ws: Workspace, request: ConfigRequest): Promise<ResolvedConfig & { layers: ConfigLayer[] }> {
  const layers: ConfigLayer[] = [];
  const defaults = await loadDefaultLayer(ws);
  if (defaults) layers.push(defaults);
  const configFile = request.configFile ?? paths.experimentConfig(ws, request.experiment);
  const config = await readConfigFile(configFile, 'config', request.configFile !== undefined);
  if (config) layers.push(config);
  if (request.overrides?.length) layers.push(parseOverrides(request.overrides));
  return { ...resolveConfig(layers), layers };
}

/** One line per value that is not a code default, for provenance and logs. */
export function configSources(resolved: ResolvedConfig): string[] {
  return CONFIG_KEYS.filter((key) => resolved.origins[key].kind !== 'default').map(
    (key) => `${key} = ${JSON.stringify(resolved.values[key])} (${describeOrigin(resolved.origins[key])})`,
  );
}
