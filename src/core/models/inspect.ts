import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { relative } from 'node:path';
import type { ResolvedConfig } from '../config/resolve.js';
import type { ConfigIssue } from '../config/resolve.js';
import type { ModelInfoDto } from '../../shared/models.js';
import { isValidName } from '../../shared/names.js';
import { paths, type Workspace } from '../workspace.js';
import { importErrorMessage, moduleFromExports } from './load-module.js';
import { BUILTIN_MODEL } from './module-run.js';
import { checkParams } from './params-schema.js';

/**
 * Lists the models the UI can pick: the built-in one and each `$DATA/models/<name>.mjs`.
 *
 * Reading what a module exports means running its top-level code. The UI server (and Electron's main
 * process) must never run user code in its own process — a module could block the event loop, crash the
 * process or read what the server holds — so each module is imported in a short-lived plain Node child
 * (ELECTRON_RUN_AS_NODE for Electron's binary) with a minimal environment and a time limit, which
 * reports the declared exports as JSON. Parsing exports statically was the other option; it would miss
 * schemas built by code (`Object.fromEntries(...)`) and could not report a module that throws when
 * loaded, which the picker shows.
 */
export const INSPECT_TIMEOUT_MS = 10_000;

/** Runs in the child: imports argv[1], prints its declared exports (or the import error) as JSON. */
const CHILD_SCRIPT = `
const file = process.argv[1];
const out = (value) => process.stdout.write(JSON.stringify(value));
import(require('node:url').pathToFileURL(file).href).then(
  (m) => out({ ok: true, hasBuild: typeof (m.default ?? m.build) === 'function', inputShape: m.inputShape, paramsSchema: m.paramsSchema }),
  (e) => out({ ok: false, name: e && e.name, message: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack }),
).finally(() => process.exit(0));
`;

type ChildReport =
  | { ok: true; hasBuild: boolean; inputShape?: unknown; paramsSchema?: unknown }
  | { ok: false; name?: string; message: string; stack?: string };

function runChild(file: string, timeoutMs: number): Promise<ChildReport | { timeout: true } | { crashed: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD_SCRIPT, file], {
      env: { ELECTRON_RUN_AS_NODE: '1', PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < 1_000_000) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 10_000) stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ timeout: true });
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ crashed: error.message });
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as ChildReport);
      } catch {
        resolve({ crashed: stderr.trim().split('\n').pop() || 'the inspecting process ended without a report' });
      }
    });
  });
}

/** One module's entry: its declarations as the worker would check them, or its error in one line. */
export async function inspectModule(ws: Workspace, name: string, timeoutMs = INSPECT_TIMEOUT_MS): Promise<ModelInfoDto> {
  const file = paths.modelModule(ws, name);
  const entry: ModelInfoDto = { name, builtin: false, file: relative(ws.root, file) };
  const report = await runChild(file, timeoutMs);
  if ('timeout' in report) return { ...entry, error: `${file}: loading the module took longer than ${timeoutMs / 1000} s` };
  if ('crashed' in report) return { ...entry, error: `${file}: ${report.crashed}` };
  if (!report.ok) {
    const error = report.name === 'SyntaxError' ? new SyntaxError(report.message) : new Error(report.message);
    error.stack = report.stack ?? `${report.name}: ${report.message}`;
    return { ...entry, error: importErrorMessage(error, file).message };
  }
  try {
    const exports: Record<string, unknown> = { default: report.hasBuild ? () => undefined : undefined, inputShape: report.inputShape, paramsSchema: report.paramsSchema };
    const module = moduleFromExports(exports, file);
    return { ...entry, ...(module.inputShape ? { inputShape: module.inputShape } : {}), ...(module.paramsSchema ? { paramsSchema: module.paramsSchema } : {}) };
  } catch (error) {
    return { ...entry, error: error instanceof Error ? error.message : String(error) };
  }
}

/** The built-in model first, then the modules in name order; files with names outside the rule are skipped. */
export async function listModels(ws: Workspace): Promise<ModelInfoDto[]> {
  let names: string[] = [];
  try {
    names = (await fs.readdir(paths.modelModulesDir(ws), { withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.endsWith('.mjs'))
      .map((entry) => entry.name.slice(0, -'.mjs'.length))
      .filter((name) => isValidName(name) && name !== BUILTIN_MODEL)
      .sort();
  } catch {
    names = [];
  }
  const modules = await Promise.all(names.map((name) => inspectModule(ws, name)));
  return [{ name: BUILTIN_MODEL, builtin: true }, ...modules];
}

/**
 * The last inspection of each module file, with the file's size and times when it was read: the config
 * editor validates on (debounced) edits, and a child process per keystroke would be wasteful when the
 * module has not changed. A module that imports other files is re-read only when its own file changes.
 */
const inspected = new Map<string, { stamp: string; info: ModelInfoDto }>();

async function inspectModuleCached(ws: Workspace, name: string): Promise<ModelInfoDto | null> {
  const file = paths.modelModule(ws, name);
  let stamp: string;
  try {
    const stat = await fs.stat(file);
    stamp = `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
  } catch {
    return null;
  }
  const cached = inspected.get(file);
  if (cached?.stamp === stamp) return cached.info;
  const info = await inspectModule(ws, name);
  // A timeout may be a busy machine rather than the module: asked again next time.
  if (!info.error?.includes('took longer')) inspected.set(file, { stamp, info });
  return info;
}

/**
 * What the worker would refuse about the model module a resolved config names, as config issues located
 * where each value was set (the config editor's live validation; the worker checks the same when a run
 * starts). The module is read in a child process (inspectModule). `model.type` problems (no such module,
 * one that cannot load) are reported only when `typeSetHere` — the edited text or an override names the
 * module — so a default naming a module that is missing does not block editing other keys.
 */
export async function moduleConfigIssues(ws: Workspace, resolved: ResolvedConfig, typeSetHere: boolean): Promise<ConfigIssue[]> {
  const name = resolved.values['model.type'];
  if (name === BUILTIN_MODEL || !isValidName(name)) return [];
  const origin = resolved.origins['model.type'];
  const where = origin.file ? { file: origin.file, ...(origin.line !== undefined ? { line: origin.line, column: origin.column } : {}) } : origin.text ? { source: `--set ${origin.text}` } : {};
  const info = await inspectModuleCached(ws, name);
  if (!info) {
    return typeSetHere ? [{ message: `model module ${JSON.stringify(name)} not found: no file ${paths.modelModule(ws, name)} (model.type names "simple" or a file models/<name>.mjs in the data folder)`, key: 'model.type', ...where }] : [];
  }
  if (info.error) return typeSetHere ? [{ message: `model module ${JSON.stringify(name)} cannot be used: ${info.error}`, key: 'model.type', ...where }] : [];
  if (!info.paramsSchema) return [];
  return checkParams(resolved.values['model.params'], info.paramsSchema, resolved.tableOrigins, paths.modelModule(ws, name));
}
