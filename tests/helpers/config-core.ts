import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { removeConfigValue, setConfigValue } from '../../src/core/config/edit.js';
import { readExperimentConfig, saveExperimentConfig, validateConfigText } from '../../src/core/config/experiment-config.js';
import { configSchemaDto } from '../../src/core/config/schema-dto.js';
import { paths, workspace } from '../../src/core/workspace.js';
import type { CoreConfigBridge, CoreConfigBridgeOptions } from '../renderer/config/core-bridge.js';
import { tempDataDir } from './data-dir.js';

/** Node side of tests/renderer/config/core-bridge.ts: the config API over a temporary data folder. */
export function coreConfigBridge(options: CoreConfigBridgeOptions = {}): CoreConfigBridge {
  const ws = workspace(tempDataDir(false));
  const experiment = 'e1';
  const file = paths.experimentConfig(ws, experiment);
  if (options.defaultConfig !== undefined) writeFileSync(paths.defaultConfig(ws), options.defaultConfig);
  if (options.experimentConfig !== undefined) {
    mkdirSync(paths.experimentDir(ws, experiment), { recursive: true });
    writeFileSync(file, options.experimentConfig);
  }
  return {
    root: ws.root,
    experiment,
    schema: configSchemaDto(),
    read: () => readExperimentConfig(ws, experiment),
    validate: (text) => validateConfigText(ws, experiment, text, options.overrides ?? []),
    edit: async (text, key, value) => (value === null ? removeConfigValue(text, key) : setConfigValue(text, key, value)),
    save: async (text, base) => (await saveExperimentConfig(ws, experiment, text, base)).version,
    writeElsewhere: (text) => {
      mkdirSync(paths.experimentDir(ws, experiment), { recursive: true });
      writeFileSync(file, text);
    },
    fileText: () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
  };
}
