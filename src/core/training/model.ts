import type * as TF from '@tensorflow/tfjs';
import type { FlatConfig } from '../config/schema.js';
import type { Task } from '../datasets/task.js';
import { ExpmanError } from '../errors.js';
import type { Tf } from './backend.js';
import { buildModuleModel, importModelModule, type ModelModule } from '../models/load-module.js';
import { usesModule } from '../models/module-run.js';

export interface ModelShape {
  inputs: number;
  /** Classes (classification); ignored for regression, which has one output. */
  classes: number;
  /** Absent means classification (callers from before tasks existed). */
  task?: Task;
}

/**
 * The output layer a task needs: one softmax unit per class for classification, one linear unit for
 * regression. Every model (built in or a module) ends this way, and the loss (lossFor) matches it.
 */
export function outputLayer(task: Task, classes: number): { units: number; activation: 'softmax' | 'linear' } {
  return task === 'regression' ? { units: 1, activation: 'linear' } : { units: classes, activation: 'softmax' };
}

/** The loss a run trains with; a loss of the other task is a config error naming training.loss. */
export function resolveLoss(config: Pick<FlatConfig, 'training.loss'>, task: Task): 'cross_entropy' | 'mse' | 'mae' | 'huber' {
  const loss = config['training.loss'];
  if (loss === 'auto') return task === 'regression' ? 'mse' : 'cross_entropy';
  if ((loss === 'cross_entropy') !== (task === 'classification')) {
    throw new ExpmanError(
      'CONFIG_INVALID',
      `training.loss = "${loss}" is a ${task === 'regression' ? 'classification' : 'regression'} loss but the dataset is ${task}; use ${task === 'regression' ? '"mse", "mae" or "huber"' : '"cross_entropy"'} (or "auto")`,
      { key: 'training.loss' },
    );
  }
  return loss;
}

/**
 * Huber loss (delta 1) per sample, as tfjs-layers wants a loss: its model.json cannot name a function
 * loss, so resuming recompiles with this (see compileModel).
 */
function huber(tf: Tf): (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const error = tf.abs(tf.sub(yTrue, yPred));
      const quadratic = tf.minimum(error, 1);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(error, quadratic)), -1);
    });
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
      ...outputLayer(shape.task ?? 'classification', shape.classes),
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed }),
      biasInitializer: 'zeros',
      name: 'output',
      ...(config['model.hidden_units'].length === 0 ? { inputShape: [shape.inputs] } : {}),
    }),
  );
  compileModel(tf, model, config, shape.task ?? 'classification');
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
  // The output the task needs (one softmax unit per class, or one linear unit) and the task's loss.
  const task = shape.task ?? 'classification';
  const output = outputLayer(task, shape.classes);
  const model = await buildModuleModel(tf, loaded, {
    features: shape.inputs,
    outputSize: output.units,
    task,
    outputActivation: output.activation,
    params: config['model.params'],
    seed: config['training.seed'],
  });
  compileModel(tf, model, config, task);
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

/**
 * Compiles with the configured optimiser (or `optimizer`, to keep a resumed run's state) and the task's
 * loss. Classification also tracks accuracy; regression metrics (MAE, RMSE, R²) are computed by the
 * training loop in the target's original units.
 */
export function compileModel(tf: Tf, model: TF.LayersModel, config: FlatConfig, task: Task = 'classification', optimizer?: TF.Optimizer): void {
  const loss = resolveLoss(config, task);
  const opt = optimizer ?? makeOptimizer(tf, config);
  if (loss === 'cross_entropy') model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  else model.compile({ optimizer: opt, loss: loss === 'mse' ? 'meanSquaredError' : loss === 'mae' ? 'meanAbsoluteError' : huber(tf) });
}

/** Number of trainable parameters (for logs and the bench's FLOP estimate). */
export function countParams(model: TF.LayersModel): number {
  return model.countParams();
}
