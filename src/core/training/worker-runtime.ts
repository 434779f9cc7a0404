import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { ExpmanError } from '../errors.js';
import { findOnPath } from '../find-on-path.js';

/**
 * Which Node.js runs the training worker. Native backends (tfjs-node-gpu, tfjs-node, Dawn's WebGPU) need
 * a plain Node.js: Electron's V8 memory cage rejects their external buffers. Order: the configured
 * `runtime.node`, else `node` on PATH, else Electron itself as Node (ELECTRON_RUN_AS_NODE), which can
 * only train on the pure backends (wasm, cpu) — and the reason says so, for the UI to show.
 */
export interface WorkerRuntime {
  /** Executable to spawn. */
  node: string;
  /** Extra environment for it (ELECTRON_RUN_AS_NODE when Electron stands in). */
  env: Record<string, string>;
  /** Whether GPU and native CPU backends can load in it. */
  nativeBackends: boolean;
  /** Where it came from, in words. */
  source: string;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function resolveWorkerRuntime(
  configured: string,
  context: { execPath?: string; isElectron?: boolean; env?: NodeJS.ProcessEnv } = {},
): WorkerRuntime {
  const execPath = context.execPath ?? process.execPath;
  const isElectron = context.isElectron ?? Boolean(process.versions['electron']);
  if (configured) {
    // Absolute: a relative path would depend on the working directory of whoever spawns the worker.
    if (!isAbsolute(configured)) {
      throw new ExpmanError('CONFIG_INVALID', `runtime.node = ${JSON.stringify(configured)} must be an absolute path to a Node.js executable`, { key: 'runtime.node' });
    }
    if (!isExecutableFile(configured)) {
      throw new ExpmanError('CONFIG_INVALID', `runtime.node = ${JSON.stringify(configured)} is not an executable file`, { key: 'runtime.node' });
    }
    return { node: configured, env: {}, nativeBackends: true, source: `runtime.node (${configured})` };
  }
  if (!isElectron) return { node: execPath, env: {}, nativeBackends: true, source: `this Node.js (${execPath})` };
  const onPath = findOnPath('node', context.env ?? process.env);
  if (onPath !== undefined) return { node: onPath, env: {}, nativeBackends: true, source: `node on PATH (${onPath})` };
  return {
    node: execPath,
    env: { ELECTRON_RUN_AS_NODE: '1' },
    nativeBackends: false,
    source: 'Electron as Node.js: no Node.js was found (set runtime.node or put node on PATH), so only the wasm and cpu backends can train',
  };
}
