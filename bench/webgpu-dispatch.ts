/**
 * Where does a small MLP's time go on a GPU backend? Times the same 256→1024→1024→10 model (batch 512)
 * four ways on one backend: tfjs `model.fit`; a manual loop with `optimizer.minimize` per batch (no
 * per-batch metrics, no readback); the same with batches sliced in advance; and forward passes only.
 *
 *   node bench/output/build/webgpu-dispatch.mjs [--backend webgpu] [--rows 16384] [--epochs 4]
 */
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { parseOverrides, resolveConfig } from '../src/core/config/resolve.js';
import { selectBackend, type ConcreteBackend } from '../src/core/training/backend.js';
import { buildModel } from '../src/core/training/model.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'webgpu' }, rows: { type: 'string', default: '16384' }, epochs: { type: 'string', default: '4' } } });
const rows = Number(values.rows);
const epochs = Number(values.epochs);
const batch = 512;
const flopsPerSample = 6 * (256 * 1024 + 1024 * 1024 + 1024 * 10);

const { tf, device } = await selectBackend(values.backend as ConcreteBackend);
console.log(`backend ${values.backend}: ${device}`);
const config = resolveConfig([parseOverrides(['model.hidden_units=[1024,1024]', `training.batch_size=${batch}`])]).values;
const x: TF.Tensor2D = tf.randomNormal([rows, 256]);
const labels: TF.Tensor1D = tf.randomUniform([rows], 0, 10, 'int32');
const y = tf.oneHot(labels, 10).toFloat() as TF.Tensor2D;

const crossEntropy = (labels: TF.Tensor2D, logits: TF.Tensor2D): TF.Scalar => tf.losses.softmaxCrossEntropy(labels, logits);

async function timeEpochs(name: string, epoch: () => Promise<void>): Promise<void> {
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t = performance.now();
    await epoch();
    times.push(performance.now() - t);
  }
  const med = times.slice(1).sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)]!;
  const sps = rows / (med / 1000);
  console.log(`${name.padEnd(48)} ${med.toFixed(0).padStart(7)} ms/epoch  ${sps.toFixed(0).padStart(8)} samples/s  ${((sps * flopsPerSample) / 1e9).toFixed(1).padStart(8)} GFLOP/s  ${(med / Math.ceil(rows / batch)).toFixed(2)} ms/batch`);
}

const sync = async (model: TF.LayersModel): Promise<void> => {
  await (model.getWeights()[0] as TF.Tensor).data();
};

{
  const model = buildModel(tf, config, { inputs: 256, classes: 10 });
  await timeEpochs('model.fit (loss + accuracy per batch)', async () => {
    await model.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
  });
  model.dispose();
}
{
  const model = buildModel(tf, config, { inputs: 256, classes: 10 });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await timeEpochs('model.fit (loss only, no metrics)', async () => {
    await model.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
  });
  model.dispose();
}
{
  const model = buildModel(tf, config, { inputs: 256, classes: 10 });
  const optimizer = tf.train.adam(0.01);
  await timeEpochs('optimizer.minimize per batch, slice per batch', async () => {
    for (let i = 0; i < rows; i += batch) {
      tf.tidy(() => {
        const xb = x.slice([i, 0], [Math.min(batch, rows - i), 256]);
        const yb = y.slice([i, 0], [Math.min(batch, rows - i), 10]);
        optimizer.minimize(() => crossEntropy(yb, model.apply(xb) as TF.Tensor2D), false);
      });
    }
    await sync(model);
  });
  model.dispose();
}
{
  const model = buildModel(tf, config, { inputs: 256, classes: 10 });
  const optimizer = tf.train.adam(0.01);
  const batches: Array<[TF.Tensor2D, TF.Tensor2D]> = [];
  for (let i = 0; i < rows; i += batch) batches.push([x.slice([i, 0], [batch, 256]), y.slice([i, 0], [batch, 10])]);
  await timeEpochs('optimizer.minimize per batch, pre-sliced', async () => {
    for (const [xb, yb] of batches) tf.tidy(() => void optimizer.minimize(() => crossEntropy(yb, model.apply(xb) as TF.Tensor2D), false));
    await sync(model);
  });
  await timeEpochs('forward only, pre-sliced', async () => {
    let last: TF.Tensor | undefined;
    for (const [xb] of batches) {
      last?.dispose();
      last = model.apply(xb) as TF.Tensor;
    }
    await last!.data();
    last!.dispose();
  });
  model.dispose();
}
console.log(`rows ${rows}, batch ${batch}, epochs ${epochs} (median of epochs 2..${epochs}); tensors alive: ${tf.memory().numTensors}`);
