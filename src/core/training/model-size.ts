import { constants as bufferConstants } from 'node:buffer';
import { freemem, totalmem } from 'node:os';
import type { FlatConfig } from '../config/schema.js';
import { ExpmanError } from '../errors.js';
import type { ModelShape } from './model.js';

/** Float32 weights. */
const BYTES_PER_VALUE = 4;

/**
 * Copies of every weight that training keeps at once: the weight, its gradient, the optimizer's slots
 * (Adam: two moments; RMSProp and Adagrad: one accumulator) and one temporary for the update.
 */
const COPIES: Record<FlatConfig['training.optimizer'], number> = { adam: 5, rmsprop: 4, adagrad: 4, sgd: 3 };

/** What the memory estimate needs of a model: its parameters, its largest weight matrix, a batch row's activations. */
interface ModelFootprint {
  parameters: number;
  largestMatrix: number;
  activationsPerRow: number;
}

/** The "simple" model (model.ts): dense layers input → hidden_units → classes, weights and biases. */
function denseFootprint(config: FlatConfig, shape: ModelShape): ModelFootprint {
  const w = [shape.inputs, ...config['model.hidden_units'], shape.classes];
  let parameters = 0;
  let largestMatrix = 0;
  for (let i = 1; i < w.length; i++) {
    parameters += w[i - 1]! * w[i]! + w[i]!;
    largestMatrix = Math.max(largestMatrix, w[i - 1]! * w[i]!);
  }
  return { parameters, largestMatrix, activationsPerRow: w.reduce((sum, n) => sum + n, 0) };
}

/**
 * The footprint of the built-in model, known before it is built. A model module's layers are the user's
 * code: it is not estimated here (it is built, in the worker, before the run's folder is created).
 */
function footprint(config: FlatConfig, shape: ModelShape): ModelFootprint | null {
  return config['model.type'] === 'simple' ? denseFootprint(config, shape) : null;
}

export function parameterCount(config: FlatConfig, shape: ModelShape): number | null {
  return footprint(config, shape)?.parameters ?? null;
}

/** Estimated peak memory of training: the weights' copies plus a batch's activations, forward and backward (and dropout masks). */
export function trainingBytes(config: FlatConfig, shape: ModelShape): number | null {
  const model = footprint(config, shape);
  if (!model) return null;
  const weights = model.parameters * COPIES[config['training.optimizer']];
  const activations = config['training.batch_size'] * model.activationsPerRow * 3;
  return (weights + activations) * BYTES_PER_VALUE;
}

export interface MemoryLimits {
  /** Memory this process could still get (MemAvailable on Linux, a container's limit included where Node knows it). */
  available: number;
  /** The largest single buffer (one weight matrix is one). */
  maxBuffer: number;
}

export function systemMemory(): MemoryLimits {
  // process.availableMemory (Node ≥ 20.13) accounts for a cgroup limit; os.freemem is the fallback.
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : freemem();
  return { available: Math.min(available, totalmem()), maxBuffer: bufferConstants.MAX_LENGTH };
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * Refuses a model that cannot train in this machine's memory before it is built: the cpu backend would
 * otherwise allocate tensor after tensor (growing to many GB, swapping) before failing, and wasm fails
 * only at its first large allocation. One line naming model.hidden_units.
 */
export function checkModelFits(config: FlatConfig, shape: ModelShape, memory: MemoryLimits = systemMemory()): void {
  const hidden = `model.hidden_units = ${JSON.stringify(config['model.hidden_units'])}`;
  const model = footprint(config, shape);
  if (!model) return;
  const matrix = model.largestMatrix * BYTES_PER_VALUE;
  if (matrix > memory.maxBuffer) {
    throw new ExpmanError('OUT_OF_MEMORY', `${hidden}: one layer's weights would take ${gb(matrix)}, more than the largest buffer Node.js can allocate (${gb(memory.maxBuffer)}); use smaller layers`, {
      key: 'model.hidden_units',
    });
  }
  const needed = trainingBytes(config, shape)!;
  if (needed > memory.available) {
    const params = model.parameters.toLocaleString('en-US');
    throw new ExpmanError('OUT_OF_MEMORY', `${hidden}: training needs about ${gb(needed)} (${params} parameters), more than the ${gb(memory.available)} of memory available; use fewer or smaller layers`, {
      key: 'model.hidden_units',
    });
  }
}
