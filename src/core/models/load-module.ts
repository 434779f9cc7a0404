import type { Task } from '../../shared/datasets.js';
import type * as TF from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ExpmanError } from '../errors.js';
import type { ParamTable } from '../config/schema.js';
import type { Tf } from '../training/backend.js';
import { parseParamsSchema, withDefaults, type ParamsSchema } from './params-schema.js';

/**
 * Loading and building a model module. This runs user code, so it is only ever called in the training
 * worker (a plain Node process started for one run, or the CLI): never in the UI server or Electron's
 * main process. Listing modules for the UI goes through a short-lived child process (inspect.ts).
 */

type Initializer = ReturnType<typeof TF.initializers.glorotUniform>;

/** What a module exports, checked. */
export interface ModelModule {
  file: string;
  build: (context: BuildContext) => unknown;
  /** Declared input shape without the batch dimension (e.g. [8, 8, 1]); flat [features] when absent. */
  inputShape?: number[];
  paramsSchema?: ParamsSchema;
}


/** What a module's build function receives. */
export interface BuildContext {
  tf: Tf;
  /** The shape of one input row, without the batch dimension. */
  inputShape: number[];
  /** Units of the output layer (classes for classification). */
  outputSize: number;
  task: Task;
  /** Activation the output layer must have for the task's loss ("softmax" for classification). */
  outputActivation: string;
  /** `[model.params]` with the schema's defaults filled in. */
  params: ParamTable;
  /** training.seed. */
  seed: number;
  /**
   * A seeded initialiser, a new seed on each call (seed, seed + 1, …), so the same config gives the same
   * initial weights in every process: `initializer()` is glorotUniform, `initializer('heNormal')` another.
   */
  initializer: (name?: string, options?: Record<string, unknown>) => Initializer;
}

/** Where a thrown error comes from: the first stack frame in the module, else the first frame at all. */
export function stackTop(error: unknown, file: string): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line)).map((line) => line.trim().replace(/^at /, ''));
  const url = pathToFileURL(file).href;
  const own = frames.find((frame) => frame.includes(url) || frame.includes(file));
  return (own ?? frames[0])?.replace(url, file);
}

/**
 * Where a module's syntax error is: V8's error from `import()` has no position, `node --check` prints
 * `file:line` first. Electron's binary acts as Node with ELECTRON_RUN_AS_NODE.
 */
function locateSyntaxError(file: string): number | undefined {
  const result = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000, env: { ELECTRON_RUN_AS_NODE: '1', PATH: process.env['PATH'] ?? '' } });
  const first = (result.stderr ?? '').split('\n')[0] ?? '';
  const match = /:(\d+)$/.exec(first);
  return match ? Number(match[1]) : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Imports a module file and checks its exports; every problem is one MODEL_MODULE line naming the file. */
export async function importModelModule(file: string): Promise<ModelModule> {
  try {
    await fs.access(file);
  } catch {
    throw new ExpmanError('MODEL_MODULE', `${file}: model module not found`, { file });
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const { message: text, line } = importErrorMessage(error, file);
    throw new ExpmanError('MODEL_MODULE', text, { file, ...(line ? { line } : {}) });
  }
  return moduleFromExports(exports, file);
}

/** An import failure as one line: a syntax error with its line (file:line), else the message and stack top. */
export function importErrorMessage(error: unknown, file: string): { message: string; line?: number } {
  if (error instanceof SyntaxError && !stackTop(error, file)?.includes(file)) {
    const line = locateSyntaxError(file);
    return { message: `${file}${line ? `:${line}` : ''}: syntax error: ${message(error)}`, ...(line ? { line } : {}) };
  }
  const top = stackTop(error, file);
  return { message: `${file}: the module threw while loading: ${message(error)}${top ? ` (at ${top})` : ''}` };
}

/** Checks a module's exports (build function, inputShape, paramsSchema) without calling anything. */
export function moduleFromExports(exports: Record<string, unknown>, file: string): ModelModule {
  const build = exports['default'] ?? exports['build'];
  if (typeof build !== 'function') {
    throw new ExpmanError('MODEL_MODULE', `${file}: exports no build function (write \`export default function build({ tf, inputShape, outputSize, ... })\`)`, { file });
  }
  const module: ModelModule = { file, build: build as ModelModule['build'] };
  if (exports['inputShape'] !== undefined) {
    const shape = exports['inputShape'];
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((n) => Number.isInteger(n) && (n as number) > 0)) {
      throw new ExpmanError('MODEL_MODULE', `${file}: inputShape must be an array of positive integers (e.g. [8, 8, 1]), got ${JSON.stringify(shape)}`, { file, key: 'inputShape' });
    }
    module.inputShape = shape as number[];
  }
  if (exports['paramsSchema'] !== undefined) module.paramsSchema = parseParamsSchema(exports['paramsSchema'], file);
  return module;
}

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.map((n) => (n === null ? 'N' : n)).join(', ')}]`;

/** The input shape a module's model gets: its declared one, checked against the dataset's feature count. */
export function moduleInputShape(module: ModelModule, features: number): number[] {
  if (!module.inputShape) return [features];
  const product = module.inputShape.reduce((a, b) => a * b, 1);
  if (product !== features) {
    throw new ExpmanError('MODEL_MODULE', `${module.file}: inputShape ${shapeText(module.inputShape)} expects ${product} features, the dataset has ${features}`, { file: module.file, key: 'inputShape' });
  }
  return module.inputShape;
}

export interface ModuleBuildOptions {
  features: number;
  outputSize: number;
  task: Task;
  outputActivation: string;
  params: ParamTable;
  seed: number;
}

/**
 * Calls the module's build and checks what comes back: a tf.LayersModel with one input of the declared
 * shape and one output of [N, outputSize]. The model is returned uncompiled; the caller compiles it with
 * the configured optimiser and loss.
 */
export async function buildModuleModel(tf: Tf, module: ModelModule, options: ModuleBuildOptions): Promise<TF.LayersModel> {
  const inputShape = moduleInputShape(module, options.features);
  let nextSeed = options.seed;
  const initializers = tf.initializers as unknown as Record<string, (args: Record<string, unknown>) => Initializer>;
  const context: BuildContext = {
    tf,
    inputShape: [...inputShape],
    outputSize: options.outputSize,
    task: options.task,
    outputActivation: options.outputActivation,
    params: withDefaults(options.params, module.paramsSchema),
    seed: options.seed,
    initializer: (name = 'glorotUniform', extra = {}) => {
      const make = initializers[name];
      if (typeof make !== 'function') throw new Error(`initializer("${name}"): no such tf.initializers function`);
      return make({ ...extra, seed: nextSeed++ });
    },
  };
  let result: unknown;
  try {
    result = await module.build(context);
  } catch (error) {
    const top = stackTop(error, module.file);
    throw new ExpmanError('MODEL_MODULE', `${module.file}: build() threw: ${message(error)}${top ? ` (at ${top})` : ''}`, { file: module.file });
  }
  if (!(result instanceof tf.LayersModel)) {
    const what = result === null ? 'null' : Array.isArray(result) ? 'an array' : typeof result === 'object' ? `an object (${result.constructor?.name ?? 'Object'})` : typeof result;
    throw new ExpmanError('MODEL_MODULE', `${module.file}: build() returned ${what}, not a tf.LayersModel (return tf.sequential(...) or tf.model(...))`, { file: module.file });
  }
  const model = result;
  const fail = (text: string): never => {
    model.dispose();
    throw new ExpmanError('MODEL_MODULE', `${module.file}: ${text}`, { file: module.file });
  };
  if (model.inputs.length !== 1) fail(`the model has ${model.inputs.length} inputs; expman feeds one`);
  if (model.outputs.length !== 1) fail(`the model has ${model.outputs.length} outputs; expman trains one`);
  const input = model.inputs[0]!.shape;
  const expectedInput = [null, ...inputShape];
  if (shapeText(input) !== shapeText(expectedInput)) fail(`the model's input does not fit the data: expects ${shapeText(expectedInput)}, got ${shapeText(input)}`);
  const output = model.outputs[0]!.shape;
  const expectedOutput = [null, options.outputSize];
  if (shapeText(output) !== shapeText(expectedOutput)) fail(`the model's output does not fit the ${options.task} task: expects ${shapeText(expectedOutput)}, got ${shapeText(output)}`);
  return model;
}
