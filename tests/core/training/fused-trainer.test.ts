import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseOverrides, resolveConfig } from '../../../src/core/config/resolve.js';
import { selectBackend } from '../../../src/core/training/backend.js';
import { FusedTrainer, fusedStepUnsupported } from '../../../src/core/training/fused-trainer.js';
import { buildModel } from '../../../src/core/training/model.js';

/**
 * The fused step must train exactly what tfjs's own path trains: the same loss, gradients by tfjs's
 * autodiff, tfjs's optimizer. The reference below is tfjs's `optimizer.minimize` over `model.apply` with
 * the compiled model's loss function, on a second model with the same seeded initial weights.
 */
const ROWS = 24;

function batch(tf: typeof TF, features: number, outputs: number, regression: boolean): [TF.Tensor2D, TF.Tensor2D] {
  const x = tf.randomNormal<TF.Rank.R2>([ROWS, features], 0, 1, 'float32', 11);
  if (regression) return [x, tf.randomNormal<TF.Rank.R2>([ROWS, 1], 0, 1, 'float32', 12)];
  const labels = tf.randomUniform<TF.Rank.R1>([ROWS], 0, outputs, 'int32', 13);
  return [x, tf.oneHot(labels, outputs).toFloat() as TF.Tensor2D];
}

async function weights(model: TF.LayersModel): Promise<number[]> {
  const out: number[] = [];
  for (const w of model.getWeights()) out.push(...(await w.data()));
  return out;
}

const cases = [
  { name: 'relu, Adam, cross-entropy', set: ['model.activation=relu'], regression: false },
  { name: 'tanh, Adam, cross-entropy', set: ['model.activation=tanh'], regression: false },
  { name: 'sigmoid, SGD, cross-entropy', set: ['model.activation=sigmoid', 'training.optimizer=sgd', 'training.learning_rate=0.5'], regression: false },
  { name: 'elu, RMSprop, mse', set: ['model.activation=elu', 'training.optimizer=rmsprop'], regression: true },
  { name: 'relu, Adam, huber', set: ['training.loss=huber', 'training.learning_rate=0.05'], regression: true },
  { name: 'relu, Adam, mae', set: ['training.loss=mae'], regression: true },
  { name: 'no hidden layer, Adam', set: ['model.hidden_units=[]'], regression: false },
];

describe('the fused training step', () => {
  // On wasm and cpu the step runs on the host (host-step.ts); the tensor-op step (the GPU's) is checked there too.
  for (const [backendName, hostStep] of [['wasm', true], ['cpu', true], ['wasm', false], ['cpu', false]] as const) {
    for (const c of cases) {
      it(`takes the steps tfjs's optimizer takes (${c.name}, ${backendName}, ${hostStep ? 'host step' : 'tensor ops'})`, async () => {
        const { tf } = await selectBackend(backendName);
        const task = c.regression ? 'regression' : 'classification';
        const config = resolveConfig([parseOverrides(['model.hidden_units=[8,6]', 'training.seed=3', ...c.set])]).values;
        const shape = { inputs: 5, classes: 3, task } as const;
        const [x, y] = batch(tf, 5, 3, c.regression);
        const reference = buildModel(tf, config, shape);
        const model = buildModel(tf, config, shape);
        expect(await weights(model)).toEqual(await weights(reference));
        expect(fusedStepUnsupported(model, config)).toBeNull();
        const trainer = new FusedTrainer(tf, model, config, task, backendName, { hostStep });
        // The compiled loss function (a Sequential keeps its compiled state on the inner model).
        const lossFn = (reference as unknown as { model: { lossFunctions: Array<(y: TF.Tensor, p: TF.Tensor) => TF.Tensor> } }).model.lossFunctions[0]!;
        for (let step = 0; step < 5; step++) {
          // Correct predictions of the weights before the step (what the step reports).
          const right = c.regression ? null : tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(reference.predict(x) as TF.Tensor, 1), tf.argMax(y, 1)), 'float32')));
          const expected = reference.optimizer.minimize(() => tf.mean<TF.Scalar>(lossFn(y, reference.apply(x) as TF.Tensor)), true)!;
          const { loss, correct } = trainer.step(x, y);
          expect((await loss.data())[0]).toBeCloseTo((await expected.data())[0]!, 5);
          if (right) {
            expect((await correct!.data())[0]).toBe((await right.data())[0]);
            right.dispose();
          } else {
            expect(correct).toBeNull();
          }
          tf.dispose([expected, loss, ...(correct ? [correct] : [])]);
        }
        const got = await weights(model);
        const want = await weights(reference);
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
        // After syncing, the tfjs optimizer holds what its own Adam would (checkpoints save it).
        trainer.syncOptimizer();
        const saved = async (m: TF.LayersModel): Promise<Array<{ name: string; values: number[] }>> =>
          Promise.all((await m.optimizer.getWeights()).map(async (w) => ({ name: w.name, values: [...(await w.tensor.data())] })));
        const ours = await saved(model);
        const theirs = await saved(reference);
        expect(ours.map((w) => w.name).map((n) => n.replace(/_\d+(\/\w+)$/, '$1'))).toEqual(theirs.map((w) => w.name).map((n) => n.replace(/_\d+(\/\w+)$/, '$1')));
        ours.forEach((w, i) => w.values.forEach((v, j) => expect(v).toBeCloseTo(theirs[i]!.values[j]!, 4)));
        trainer.dispose();
        tf.dispose([x, y]);
        reference.optimizer.dispose();
        model.optimizer.dispose();
        reference.dispose();
        model.dispose();
      });
    }
  }

  it('gives identical weights when run twice (reproducible), and leaks no tensors', async () => {
    const { tf } = await selectBackend('wasm');
    const config = resolveConfig([parseOverrides(['model.hidden_units=[16,16]'])]).values;
    const run = async (): Promise<number[]> => {
      const model = buildModel(tf, config, { inputs: 4, classes: 3 });
      const trainer = new FusedTrainer(tf, model, config, 'classification', 'wasm');
      const [x, y] = batch(tf, 4, 3, false);
      const before = tf.memory().numTensors;
      const epoch = await trainer.epoch((start, size) => [x.slice([start, 0], [size, 4]), y.slice([start, 0], [size, 3])], ROWS, 5);
      expect(epoch.batches).toBe(5);
      expect(Number.isFinite(epoch.loss)).toBe(true);
      expect(epoch.accuracy).toBeGreaterThanOrEqual(0);
      expect(tf.memory().numTensors).toBe(before);
      const out = await weights(model);
      trainer.dispose();
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('is not used for dropout, selu or a model module (those train with model.fit)', async () => {
    const { tf } = await selectBackend('cpu');
    for (const [set, reason] of [
      ['model.dropout=0.2', 'dropout'],
      ['model.activation=selu', 'the selu activation'],
    ] as const) {
      const config = resolveConfig([parseOverrides([set])]).values;
      const model = buildModel(tf, config, { inputs: 4, classes: 3 });
      expect(fusedStepUnsupported(model, config)).toBe(reason);
      model.dispose();
    }
    const config = resolveConfig([parseOverrides(['model.type=digits-cnn'])]).values;
    expect(fusedStepUnsupported(buildModel(tf, resolveConfig([]).values, { inputs: 4, classes: 3 }), config)).toBe('a model module');
  });
});
