import type * as TF from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { ExpmanError } from '../errors.js';
import { writeDirAtomic } from '../fs/atomic.js';
import type { Tf } from './backend.js';

/** What we keep beside the weights so a saved model can be used alone: inputs, classes, scaling. */
export interface ModelMetadata {
  features: string[];
  classes: string[];
  normalization: { mean: number[]; std: number[] } | null;
  epoch: number;
  /** Absent in models saved before tasks existed: classification. */
  task?: 'classification' | 'regression';
  /** Regression with data.standardize_target: the model predicts (y - mean) / std of the training rows. */
  target_scaling?: { mean: number; std: number } | null;
  [key: string]: unknown;
}

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Saves a tfjs LayersModel as model.json + weights.bin (the layout of tfjs-node's `file://` handler,
 * loadable by `tf.loadLayersModel` and the tensorflowjs converter), atomically: the folder appears under
 * its final name only when complete. `extra` files (e.g. training state) are written inside it.
 */
export async function saveModel(
  tf: Tf,
  model: TF.LayersModel,
  dir: string,
  options: { metadata: ModelMetadata; includeOptimizer: boolean; extra?: Record<string, string> },
): Promise<void> {
  model.setUserDefinedMetadata(options.metadata);
  // tfjs's save with includeOptimizer leaks the optimizer's `iter` scalar; a scope around the save
  // (nothing else runs while training awaits it) releases whatever the save allocated.
  tf.engine().startScope();
  try {
    await saveInto(tf, model, dir, options);
  } finally {
    tf.engine().endScope();
  }
}

async function saveInto(tf: Tf, model: TF.LayersModel, dir: string, options: { includeOptimizer: boolean; extra?: Record<string, string> }): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
        const modelJson = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format ?? 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
          ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
          userDefinedMetadata: artifacts.userDefinedMetadata,
        };
        await fs.writeFile(join(tmp, WEIGHTS_BIN), new Uint8Array(weightData));
        await fs.writeFile(join(tmp, MODEL_JSON), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
      }),
      { includeOptimizer: options.includeOptimizer },
    );
    for (const [name, text] of Object.entries(options.extra ?? {})) await fs.writeFile(join(tmp, name), text);
  });
}

/** Loads a model saved by saveModel (with its optimizer state when it was saved with one). */
export async function loadModel(tf: Tf, dir: string): Promise<{ model: TF.LayersModel; metadata: ModelMetadata }> {
  let json: TF.io.ModelJSON;
  try {
    json = JSON.parse(await fs.readFile(join(dir, MODEL_JSON), 'utf8')) as TF.io.ModelJSON;
  } catch (error) {
    throw new ExpmanError('MODEL_MISSING', `${join(dir, MODEL_JSON)}: cannot read saved model (${(error as Error).message})`, { file: join(dir, MODEL_JSON) });
  }
  // A function loss (huber) is saved by tfjs as an empty loss table, which it would load as "no loss" with a
  // console warning. The trainer compiles such a model again with the configured loss (compileModel) and
  // keeps the optimizer restored here; a placeholder name lets tfjs load it quietly.
  const loss = json.trainingConfig?.loss as unknown;
  if (json.trainingConfig && loss !== null && typeof loss === 'object' && !Array.isArray(loss) && Object.keys(loss).length === 0) {
    json.trainingConfig = { ...json.trainingConfig, loss: 'mean_squared_error' };
  }
  const weights = await fs.readFile(join(dir, WEIGHTS_BIN));
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    return [specs, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)];
  });
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return { model, metadata: model.getUserDefinedMetadata() as unknown as ModelMetadata };
}

/**
 * Adam keeps beta1^t and beta2^t as running float32 products; tfjs's setWeights recomputes them with
 * pow(), which differs in the last bits, so a resumed run would drift from an uninterrupted one. We save
 * the exact values with each checkpoint and put them back after loading.
 */
type AdamInternals = { accBeta1?: TF.Variable; accBeta2?: TF.Variable };

export function readAdamState(optimizer: TF.Optimizer | undefined): { acc_beta1: number; acc_beta2: number } | null {
  const adam = optimizer as unknown as AdamInternals | undefined;
  if (!adam?.accBeta1 || !adam.accBeta2) return null;
  return { acc_beta1: adam.accBeta1.dataSync()[0]!, acc_beta2: adam.accBeta2.dataSync()[0]! };
}

export function restoreAdamState(tf: Tf, optimizer: TF.Optimizer | undefined, state: { acc_beta1: number; acc_beta2: number } | null | undefined): void {
  const adam = optimizer as unknown as AdamInternals | undefined;
  if (!state || !adam?.accBeta1 || !adam.accBeta2) return;
  adam.accBeta1.assign(tf.scalar(state.acc_beta1));
  adam.accBeta2.assign(tf.scalar(state.acc_beta2));
}
