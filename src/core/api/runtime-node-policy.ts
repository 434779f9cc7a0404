import { readExperimentConfig } from '../config/experiment-config.js';
import { parseConfigText, parseOverrides } from '../config/resolve.js';
import { ExpmanError } from '../errors.js';
import type { Workspace } from '../workspace.js';

/**
 * `runtime.node` names the executable the app spawns for training. Through the API (the renderer, a
 * browser tab) it may not be chosen: a compromised page or a leaked token must not be able to make the
 * app start a program of its choice. Running a candidate to check that it is Node.js (`--version`) would
 * already execute it, so no check of the binary can make that safe; instead the value comes only from
 * files the user edits and from the CLI (`--set runtime.node=…`). The API may keep the value a file
 * already has, and may clear it ("" = node on PATH). See README, Security.
 */
function forbidden(where: string, value: string): ExpmanError {
  return new ExpmanError(
    'FORBIDDEN',
    `${where}: runtime.node = ${JSON.stringify(value)} cannot be set from the app; set it in config.toml or default-config.toml with an editor, or with expman train --set runtime.node=PATH`,
    { key: 'runtime.node' },
  );
}

function runtimeNodeOf(text: string, file: string): string | undefined {
  try {
    const value = parseConfigText(text, file, 'config').values['runtime.node'];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // an invalid text is refused by the save itself, with its own error
  }
}

/** Refuses a config.toml saved through the API that sets runtime.node to something the file does not already say. */
export async function refuseRuntimeNodeChange(ws: Workspace, experiment: string, text: string): Promise<void> {
  const current = await readExperimentConfig(ws, experiment);
  const next = runtimeNodeOf(text, current.file);
  if (!next) return;
  if (current.exists && runtimeNodeOf(current.text, current.file) === next) return;
  throw forbidden(current.file, next);
}

/** Refuses a `runtime.node=…` override in a run started through the API. */
export function refuseRuntimeNodeOverride(overrides: readonly string[]): void {
  let value: unknown;
  try {
    value = parseOverrides(overrides).values['runtime.node'];
  } catch {
    return; // bad overrides are refused by the start itself
  }
  if (typeof value === 'string' && value !== '') throw forbidden('override', value);
}
