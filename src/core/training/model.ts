import type * as TF from '@tensorflow/tfjs';
import type { FlatConfig } from '../config/schema.js';
import type { Tf } from './backend.js';
import { buildModuleModel, importModelModule, type ModelModule } from '../models/load-module.js';
import { usesModule } from '../models/module-run.js';

export interface ModelShape {
  inputs: number;
  classes: number;
}

/**
 * The "simple" model: a fully connected network with seeded initialisers, so the same config and seed
 * give the same initial weights on every backend and in every process.
 */
export function buildModel(tf: Tf, config: FlatConfig, shape: ModelShape): TF.Sequential {
  const seed = config['training.seed'];
  const model = tf.sequential({ name: config['model.type'] });
  let layerSeed = seed;
  config['model.hidden_units'].forEach((units, index) => {
    model.add(
      tf.layers.dense({
        units,
        activation: config['model.activation'],
        kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
        biasInitializer: 'zeros',
        name: `hidden_${index + 1}`,
        ...(index === 0 ? { inputShape: [shape.inputs] } : {}),
      }),
    );
    if (config['model.dropout'] > 0) model.add(tf.layers.dropout({ rate: config['model.dropout'], name: `dropout_${index + 1}` }));
  });
  model.add(
    tf.layers.dense({
      units: shape.classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }),
      biasInitializer: 'zeros',
      name: 'output',
      ...(config['model.hidden_units'].length === 0 ? { inputShape: [shape.inputs] } : {}),
    }),
  );
  compileModel(tf, model, config);
  return model;
}

/**
 * The run's model, compiled: the built-in network, or what the model module at `moduleFile` (the run's
 * own copy) builds. `module` passes one already imported (the pre-flight check of a new run).
 */
export async function buildRunModel(tf: Tf, config: FlatConfig, shape: ModelShape, moduleFile: string | undefined, module?: ModelModule): Promise<TF.LayersModel> {
  if (!usesModule(config)) return buildModel(tf, config, shape);
  if (!moduleFile && !module) throw new Error(`model.type ${config['model.type']} needs a module file`);
  const loaded = module ?? (await importModelModule(moduleFile!));
  // The loss is categorical cross-entropy: the output layer has one softmax unit per class.
  const model = await buildModuleModel(tf, loaded, {
    features: shape.inputs,
    outputSize: shape.classes,
    task: 'classification',
    outputActivation: 'softmax',
    params: config['model.params'],
    seed: config['training.seed'],
  });
  compileModel(tf, model, config);
  return model;
}

/** The shape of one input row a model takes (without the batch dimension): [features], or a module's [8, 8, 1]. */
export function modelInputShape(model: TF.LayersModel): number[] {
  return model.inputs[0]!.shape.slice(1) as number[];
}

export function makeOptimizer(tf: Tf, config: FlatConfig): TF.Optimizer {
  const lr = config['training.learning_rate'];
  switch (config['training.optimizer']) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adagrad':
      return tf.train.adagrad(lr);
  }
}

export function compileModel(tf: Tf, model: TF.LayersModel, config: FlatConfig): void {
  model.compile({ optimizer: makeOptimizer(tf, config), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
}

/** Number of trainable parameters (for logs and the bench's FLOP estimate). */
export function countParams(model: TF.LayersModel): number {
  return model.countParams();
}
