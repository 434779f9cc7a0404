/**
 * Which kernels one training step of the 256→1024→1024→10 MLP (batch 512) spends its time in, on one
 * backend: `tf.profile` of an `optimizer.minimize` step, kernels summed by name, slowest first.
 *
 *   node bench/output/build/profile-step.mjs [--backend webgpu] [--flags NAME=VALUE,...] [--no-profile]
 *
 * --flags sets tfjs environment flags first, e.g. WEBGPU_CPU_FORWARD=false.
 */
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { parseOverrides, resolveConfig } from '../src/core/config/resolve.js';
import { selectBackend, type ConcreteBackend } from '../src/core/training/backend.js';
import { buildModel } from '../src/core/training/model.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'webgpu' }, flags: { type: 'string', default: '' }, 'no-profile': { type: 'boolean', default: false } } });
const { tf, device } = await selectBackend(values.backend as ConcreteBackend);
for (const flag of values.flags.split(',').filter(Boolean)) {
  const [name, value] = flag.split('=') as [string, string];
  tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number(value));
}
console.log(`backend ${values.backend}: ${device}; flags: ${values.flags || 'defaults'}`);
const model = buildModel(tf, resolveConfig([parseOverrides(['model.hidden_units=[1024,1024]'])]).values, { inputs: 256, classes: 10 });
const optimizer = tf.train.adam(0.01);
const xb: TF.Tensor2D = tf.randomNormal([512, 256]);
const labels: TF.Tensor1D = tf.randomUniform([512], 0, 10, 'int32');
const yb = tf.oneHot(labels, 10).toFloat() as TF.Tensor2D;
const loss = (): TF.Scalar => tf.losses.softmaxCrossEntropy(yb, model.apply(xb) as TF.Tensor2D);
const step = (): void => tf.tidy(() => void optimizer.minimize(loss, false));
const sync = async (): Promise<void> => void (await (model.getWeights()[0] as TF.Tensor).data());
for (let i = 0; i < 3; i++) step();
await sync();
let t = performance.now();
for (let i = 0; i < 10; i++) step();
await sync();
console.log(`wall: ${((performance.now() - t) / 10).toFixed(2)} ms per step (10 steps)`);
if (values['no-profile']) process.exit(0);
t = performance.now();
const info = await tf.profile(async () => {
  step();
  await sync();
});
console.log(`profiled step: ${(performance.now() - t).toFixed(1)} ms wall, ${info.kernels.length} kernels`);
const byName = new Map<string, { ms: number; n: number; slowest: string }>();
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number.NaN;
  const entry = byName.get(k.name) ?? { ms: 0, n: 0, slowest: '' };
  entry.ms += ms;
  entry.n++;
  if (!entry.slowest || ms > Number(entry.slowest.split(' ')[0])) entry.slowest = `${ms.toFixed(2)} ms ${JSON.stringify(k.inputShapes)}`;
  byName.set(k.name, entry);
}
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) {
  console.log(`${name.padEnd(28)} ${e.ms.toFixed(2).padStart(9)} ms  ×${String(e.n).padStart(3)}  slowest ${e.slowest}`);
}
