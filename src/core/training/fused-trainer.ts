import type * as TF from '@tensorflow/tfjs';
import type { FlatConfig } from '../config/schema.js';
import type { Task } from '../datasets/task.js';
import type { Tf } from './backend.js';
import { fusedAdam, registerFusedAdam, type FusedAdamAttrs } from './fused-adam.js';
import { resolveLoss } from './model.js';
import { HostStep, hostAdam } from './host-step.js';
import { gemmChoiceFromEnv, gemmTileFor, registerWebGpuGemm, webGpuGemm, type GemmChoice, type GemmEpilogue } from './webgpu-gemm.js';

/**
 * The training step of the built-in network with as few kernels as tfjs allows. For a small network a
 * step's time is the fixed cost of each kernel (tfjs's engine bookkeeping, a wasm call or a GPU
 * dispatch), not arithmetic: `model.fit` on the 4→16→16→3 MLP runs about 180 kernels a batch, plus
 * per-batch metric tensors and callbacks. This step runs one fused matMul + bias + activation per layer,
 * the loss on the logits, the gradient through those, and one Adam update over all weights as a flat
 * buffer (fused-adam.ts): about 45 kernels. It trains the same variables of the same LayersModel, so
 * saving, checkpoints, best-model and `predict` are unchanged, and it keeps tfjs's Adam state (moments,
 * β powers, iterations) in the optimizer at every checkpoint, so a run resumes exactly either way.
 */

type Activation = FlatConfig['model.activation'];

interface DenseWeights {
  kernel: TF.Variable;
  bias: TF.Variable;
}

/** A hidden layer's activation as the tfjs op that tf.layers.dense applies for it. */
function activate(tf: Tf, activation: Activation, h: TF.Tensor2D): TF.Tensor2D {
  switch (activation) {
    case 'relu':
      return tf.relu(h);
    case 'tanh':
      return tf.tanh(h);
    case 'sigmoid':
      return tf.sigmoid(h);
    case 'elu':
      return tf.elu(h);
    case 'selu':
      return tf.selu(h);
  }
}

/** Why a model cannot take the fused step (null: it can). Such runs train with `model.fit`. */
export function fusedStepUnsupported(model: TF.LayersModel, config: FlatConfig): string | null {
  if (config['model.type'] !== 'simple') return 'a model module';
  if (config['model.dropout'] > 0) return 'dropout';
  if (config['model.activation'] === 'selu') return 'the selu activation';
  const layers = model.layers;
  if (!layers.every((l) => l.getClassName() === 'Dense')) return 'a layer other than Dense';
  if (model.trainableWeights.length !== layers.length * 2) return 'a layer without bias';
  return null;
}

/** One epoch's results, computed on the host from values read back once at the end of the epoch. */
export interface FusedEpoch {
  loss: number;
  accuracy?: number;
  /** The first batch (1-based) whose loss was NaN or infinite, 0 if none. */
  firstNonFinite: number;
  /** Batches run (fewer than all when stopped). */
  batches: number;
}

/**
 * Makes the tensors of the rows [start, start + size) of the epoch, which the trainer disposes. On the
 * wasm backend a Slice reads its whole input, so host backends should build each batch from host arrays.
 */
export type BatchSource = (start: number, size: number) => [TF.Tensor2D, TF.Tensor2D];

export interface EpochHooks {
  /** After each batch with its loss (a device scalar, valid until the epoch ends); may await. */
  onBatch?: (batch: number, loss: TF.Scalar, correct: TF.Scalar | null) => Promise<void> | void;
  /** Checked before each batch: true ends the epoch early. */
  shouldStop?: () => boolean;
}

type AdamInternals = TF.Optimizer & {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: TF.Variable;
  accBeta2: TF.Variable;
  iterations_: number;
  accumulatedFirstMoment: Array<{ originalName: string; variable: TF.Variable }>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: TF.Variable }>;
};

export class FusedTrainer {
  private readonly layers: DenseWeights[];
  private readonly variables: TF.Variable[];
  private readonly sizes: number[];
  private readonly loss: 'cross_entropy' | 'mse' | 'mae' | 'huber';
  private readonly activation: Activation;
  /** Fused Adam: [weights | m | v] of every trainable weight, flat, on the device. */
  /**
   * Fused Adam's state: on a GPU [weights | m | v] of every weight, flat, on the device (`state`); on
   * the host backends the moments as flat host arrays (`host`), updated by the host step.
   */
  private adam: { state: TF.Tensor1D | null; host: { m: Float32Array; v: Float32Array } | null; attrs: Omit<FusedAdamAttrs, 'c1' | 'c2' | 'sizes'>; acc1: number; acc2: number; steps: number } | null = null;
  /** The whole step as one engine call on wasm and cpu (host-step.ts); null on a GPU. */
  readonly host: HostStep | null;
  /** On WebGPU, which matrix product the step runs (webgpu-gemm.ts); 'off' elsewhere: tfjs's matMul. */
  readonly gemm: GemmChoice;

  constructor(
    private readonly tf: Tf,
    private readonly model: TF.LayersModel,
    config: FlatConfig,
    private readonly task: Task,
    backendName: string,
    /** Take the tensor-op step even on wasm and cpu (tests compare the two); the WebGPU GEMM choice (default: EXPMAN_WEBGPU_GEMM). */
    options: { hostStep?: boolean; gemm?: GemmChoice } = {},
  ) {
    this.layers = model.layers.map((layer) => {
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as TF.Variable);
      return { kernel: kernel!, bias: bias! };
    });
    this.variables = this.layers.flatMap((l) => [l.kernel, l.bias]);
    this.sizes = this.variables.map((v) => v.size);
    this.activation = config['model.activation'];
    this.loss = resolveLoss(config, task);
    const optimizer = model.optimizer as AdamInternals;
    this.host = (backendName === 'wasm' || backendName === 'cpu') && options.hostStep !== false ? new HostStep(tf, backendName, this.activation, this.loss) : null;
    if (optimizer.getClassName() === 'Adam' && (this.host || registerFusedAdam(tf, backendName))) this.adam = this.loadAdam(optimizer);
    this.gemm = backendName === 'webgpu' ? (options.gemm ?? gemmChoiceFromEnv()) : 'off';
    if (this.gemm !== 'off') registerWebGpuGemm(tf);
  }

  /**
   * op(a)·op(b) with an epilogue: on WebGPU the step's own GEMM where it takes the shape, else tfjs's
   * matMul (fused with bias and relu where tfjs fuses them) and the mask as a multiply by step(mask).
   */
  private product(a: TF.Tensor2D, b: TF.Tensor2D, transposeA: boolean, transposeB: boolean, epilogue: GemmEpilogue = {}): TF.Tensor2D {
    const { tf } = this;
    const m = transposeA ? a.shape[1] : a.shape[0];
    const n = transposeB ? b.shape[0] : b.shape[1];
    const tile = gemmTileFor(this.gemm, m, n);
    if (tile) return webGpuGemm(tf, a, b, transposeA, transposeB, tile, epilogue);
    const activation = epilogue.relu ? 'relu' : 'linear';
    const out = epilogue.bias || epilogue.relu ? tf.fused.matMul({ a, b, transposeA, transposeB, bias: epilogue.bias, activation }) : tf.matMul(a, b, transposeA, transposeB);
    return epilogue.mask ? tf.mul(out, tf.step(epilogue.mask)) : (out as TF.Tensor2D);
  }

  /** The flat Adam state from the optimizer (zero moments for a fresh one, a checkpoint's when resumed). */
  private loadAdam(optimizer: AdamInternals): NonNullable<FusedTrainer['adam']> {
    const { tf } = this;
    const moments = (list: AdamInternals['accumulatedFirstMoment']): TF.Tensor[] => this.variables.map((v, i) => list[i]?.variable ?? tf.zerosLike(v));
    const flat = (list: TF.Tensor[]): TF.Tensor1D => tf.tidy(() => tf.concat(list.map((t) => t.reshape([-1]))) as TF.Tensor1D);
    let state: TF.Tensor1D | null = null;
    let host: { m: Float32Array; v: Float32Array } | null = null;
    if (this.host) {
      const read = (list: AdamInternals['accumulatedFirstMoment']): Float32Array => {
        const t = flat(moments(list));
        const values = t.dataSync() as Float32Array;
        t.dispose();
        return Float32Array.from(values);
      };
      host = { m: read(optimizer.accumulatedFirstMoment), v: read(optimizer.accumulatedSecondMoment) };
    } else {
      state = tf.tidy(() => flat([...this.variables, ...moments(optimizer.accumulatedFirstMoment), ...moments(optimizer.accumulatedSecondMoment)]));
    }
    return {
      state,
      host,
      attrs: { lr: optimizer.learningRate, beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon },
      acc1: optimizer.accBeta1.dataSync()[0]!,
      acc2: optimizer.accBeta2.dataSync()[0]!,
      steps: 0,
    };
  }

  /**
   * Every layer's output for a batch (the last: logits, or the prediction for regression). Outside a
   * gradient tape tfjs fuses matMul + bias + relu into one kernel (under a tape it splits them again).
   */
  private forward(x: TF.Tensor2D): TF.Tensor2D[] {
    const { tf } = this;
    const outputs: TF.Tensor2D[] = [];
    let h = x;
    const last = this.layers.length - 1;
    this.layers.forEach((layer, i) => {
      const fused = i < last && this.activation === 'relu' ? 'relu' : 'linear';
      h = this.product(h, layer.kernel as TF.Tensor as TF.Tensor2D, false, false, { bias: layer.bias as TF.Tensor as TF.Tensor1D, relu: fused === 'relu' });
      if (i < last && fused === 'linear') h = activate(tf, this.activation, h);
      outputs.push(h);
    });
    return outputs;
  }

  /**
   * A batch's mean loss, as the compiled model computes it (cross-entropy of the softmax clipped to
   * [ε, 1 − ε], as tfjs-layers does), and the loss's gradient with respect to the last layer's
   * pre-activation output.
   */
  private lossAndGradient(y: TF.Tensor2D, out: TF.Tensor2D): { loss: TF.Scalar; dz: TF.Tensor2D; correct: TF.Scalar | null } {
    const { tf } = this;
    const n = 1 / out.shape[0];
    if (this.loss === 'cross_entropy') {
      const p = tf.softmax(out);
      const eps = tf.backend().epsilon();
      const loss = tf.mul<TF.Scalar>(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, eps, 1 - eps)))), -n);
      const correct = tf.sum<TF.Scalar>(tf.cast(tf.equal(tf.argMax(out, 1), tf.argMax(y, 1)), 'float32'));
      return { loss, dz: tf.mul(tf.sub(p, y), n), correct };
    }
    // Regression has one output unit, so the per-sample mean over outputs is the value itself.
    const diff = tf.sub(out, y);
    switch (this.loss) {
      case 'mse':
        return { loss: tf.mean(tf.square(diff)), dz: tf.mul(diff, 2 * n), correct: null };
      case 'mae':
        return { loss: tf.mean(tf.abs(diff)), dz: tf.mul(tf.sign(diff), n), correct: null };
      case 'huber': {
        const e = tf.abs(diff);
        const q = tf.minimum(e, 1);
        return { loss: tf.mean(tf.add(tf.mul(0.5, tf.square(q)), tf.sub(e, q))), dz: tf.mul(tf.clipByValue(diff, -1, 1), n), correct: null };
      }
    }
  }

  /** dL/dz of a hidden layer from dL/da and its activation's output a. */
  private activationGradient(da: TF.Tensor2D, a: TF.Tensor2D): TF.Tensor2D {
    const { tf } = this;
    switch (this.activation) {
      case 'relu':
        return tf.mul(da, tf.step(a));
      case 'tanh':
        return tf.mul(da, tf.sub(1, tf.square(a)));
      case 'sigmoid':
        return tf.mul(da, tf.mul(a, tf.sub(1, a)));
      case 'elu':
        return tf.where(tf.greater(a, 0), da, tf.mul(da, tf.add(a, 1))) as TF.Tensor2D;
      case 'selu':
        throw new Error('selu has no fused gradient'); // refused by fusedStepUnsupported
    }
  }

  /**
   * One step on a batch: forward, the gradient by hand (for a stack of dense layers it is three kernels
   * per layer; tfjs's tape adds reshapes, identities and casts around every op), and the update. Returns
   * the batch's loss and (classification) number of correct predictions, which the caller disposes.
   */
  step(x: TF.Tensor2D, y: TF.Tensor2D): { loss: TF.Scalar; correct: TF.Scalar | null } {
    const { tf } = this;
    if (this.host) return this.hostStep(this.host, x, y);
    const out = tf.tidy((): TF.TensorContainerObject => {
      const outputs = this.forward(x);
      const { loss, dz: dOut, correct } = this.lossAndGradient(y, outputs[outputs.length - 1]!);
      const grads: TF.Tensor[] = new Array<TF.Tensor>(this.variables.length);
      let dz = dOut;
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const input = i === 0 ? x : outputs[i - 1]!;
        grads[2 * i] = this.product(input, dz, true, false);
        grads[2 * i + 1] = tf.sum(dz, 0);
        if (i === 0) continue;
        const kernel = this.layers[i]!.kernel as TF.Tensor as TF.Tensor2D;
        // relu's gradient is a mask by the layer's output: in the product's epilogue.
        if (this.activation === 'relu') dz = this.product(dz, kernel, false, true, { mask: outputs[i - 1]! });
        else dz = this.activationGradient(this.product(dz, kernel, false, true), outputs[i - 1]!);
      }
      if (this.adam) this.adamStep(grads);
      else this.model.optimizer.applyGradients(this.variables.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      return correct ? { loss, correct } : { loss };
    }) as { loss: TF.Scalar; correct?: TF.Scalar };
    return { loss: out.loss, correct: out.correct ?? null };
  }

  /** The step on wasm and cpu: gradients and the Adam update on the backend's buffers (host-step.ts). */
  private hostStep(host: HostStep, x: TF.Tensor2D, y: TF.Tensor2D): { loss: TF.Scalar; correct: TF.Scalar | null } {
    const { tf } = this;
    const info = (t: TF.Tensor): TF.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: 'float32' });
    const weights = this.variables.map(info);
    try {
      const result = host.gradients(info(x), info(y), weights);
      const tensor = (i: TF.TensorInfo): TF.Tensor => {
        host.adopt(i);
        return tf.engine().makeTensorFromTensorInfo(i);
      };
      if (this.adam?.host) {
        const adam = this.adam;
        const next = hostAdam(host, weights, result.grads, adam.host!, { ...adam.attrs, c1: 1 - adam.acc1, c2: 1 - adam.acc2 });
        adam.acc1 = Math.fround(adam.acc1 * Math.fround(adam.attrs.beta1));
        adam.acc2 = Math.fround(adam.acc2 * Math.fround(adam.attrs.beta2));
        adam.steps++;
        this.variables.forEach((v, i) => {
          const t = tensor(next[i]!);
          v.assign(t);
          t.dispose();
        });
      } else {
        const grads = result.grads.map(tensor);
        this.model.optimizer.applyGradients(this.variables.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
        tf.dispose(grads);
      }
      return { loss: tf.scalar(result.loss), correct: result.correct === null ? null : tf.scalar(result.correct) };
    } finally {
      host.release();
    }
  }

  private adamStep(grads: TF.Tensor[]): void {
    const { tf } = this;
    const adam = this.adam!;
    // tfjs keeps β1ᵗ and β2ᵗ as float32 products; so does this, so the bias corrections match its Adam.
    const next = fusedAdam(tf, adam.state!, tf.concat(grads.map((g) => g.reshape([-1]))) as TF.Tensor1D, { ...adam.attrs, c1: 1 - adam.acc1, c2: 1 - adam.acc2, sizes: this.sizes });
    adam.acc1 = Math.fround(adam.acc1 * Math.fround(adam.attrs.beta1));
    adam.acc2 = Math.fround(adam.acc2 * Math.fround(adam.attrs.beta2));
    adam.steps++;
    this.variables.forEach((v, i) => v.assign(next.weights[i]!.reshape(v.shape)));
    adam.state!.dispose();
    adam.state = tf.keep(next.state);
  }

  /**
   * Trains one epoch of `rows` rows (in the epoch's order) in batches of `batchSize`, which `batch`
   * makes. Per-batch losses stay on the device and are read back once at the end, so nothing waits for
   * the device during the epoch unless a hook does.
   */
  async epoch(batch: BatchSource, rows: number, batchSize: number, hooks: EpochHooks = {}): Promise<FusedEpoch> {
    const { tf } = this;
    const losses: TF.Scalar[] = [];
    const corrects: TF.Scalar[] = [];
    const sizes: number[] = [];
    try {
      for (let start = 0, index = 0; start < rows; start += batchSize, index++) {
        if (hooks.shouldStop?.()) break;
        const size = Math.min(batchSize, rows - start);
        const [xb, yb] = batch(start, size);
        const { loss, correct } = this.step(xb, yb);
        tf.dispose([xb, yb]);
        losses.push(loss);
        if (correct) corrects.push(correct);
        sizes.push(size);
        await hooks.onBatch?.(index, loss, correct);
      }
      if (losses.length === 0) return { loss: NaN, firstNonFinite: 0, batches: 0, ...(this.task === 'classification' ? { accuracy: NaN } : {}) };
      const read = async (list: TF.Scalar[]): Promise<Float32Array> => {
        const stacked = tf.stack(list);
        try {
          return (await stacked.data()) as Float32Array;
        } finally {
          stacked.dispose();
        }
      };
      const lossValues = await read(losses);
      let sum = 0;
      let seen = 0;
      let firstNonFinite = 0;
      lossValues.forEach((l, i) => {
        if (!Number.isFinite(l) && firstNonFinite === 0) firstNonFinite = i + 1;
        sum += l * sizes[i]!;
        seen += sizes[i]!;
      });
      const result: FusedEpoch = { loss: sum / seen, firstNonFinite, batches: losses.length };
      if (corrects.length) result.accuracy = (await read(corrects)).reduce((a, b) => a + b, 0) / seen;
      return result;
    } finally {
      tf.dispose([...losses, ...corrects]);
    }
  }

  /** Loss (and accuracy) on a whole set, in chunks, with the same loss as training. */
  async evaluate(x: TF.Tensor2D, y: TF.Tensor2D, chunk = 4096): Promise<{ loss: number; accuracy?: number }> {
    const { tf } = this;
    const rows = x.shape[0];
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < rows; start += chunk) {
      const size = Math.min(chunk, rows - start);
      const { loss, correct: right } = tf.tidy((): TF.TensorContainerObject => {
        const xb = x.slice([start, 0], [size, x.shape[1]]);
        const yb = y.slice([start, 0], [size, y.shape[1]]);
        const outputs = this.forward(xb);
        const { loss, correct } = this.lossAndGradient(yb, outputs[outputs.length - 1]!);
        return correct ? { loss, correct } : { loss };
      }) as { loss: TF.Scalar; correct?: TF.Scalar };
      lossSum += (await loss.data())[0]! * size;
      if (right) correct += (await right.data())[0]!;
      tf.dispose([loss, ...(right ? [right] : [])]);
    }
    return { loss: lossSum / rows, ...(this.task === 'classification' ? { accuracy: correct / rows } : {}) };
  }

  /**
   * Writes the fused Adam state back into the model's tfjs optimizer (moments, β powers, iterations),
   * so that a checkpoint saves exactly what tfjs's own Adam would have; called before each save.
   */
  syncOptimizer(): void {
    const adam = this.adam;
    if (!adam) return;
    const { tf } = this;
    const optimizer = this.model.optimizer as AdamInternals;
    const n = this.sizes.reduce((a, b) => a + b, 0);
    let offset = 0;
    this.variables.forEach((v, i) => {
      const size = this.sizes[i]!;
      for (const [list, base, suffix] of [
        [optimizer.accumulatedFirstMoment, n, 'm'],
        [optimizer.accumulatedSecondMoment, 2 * n, 'v'],
      ] as const) {
        const value = adam.host
          ? tf.tensor(adam.host[suffix].subarray(offset, offset + size), v.shape)
          : tf.tidy(() => adam.state!.slice(base + offset, size).reshape(v.shape));
        if (list[i]) {
          list[i].variable.assign(value);
          value.dispose();
        } else {
          list[i] = { originalName: `${v.name}/${suffix}`, variable: value.variable(false) };
          value.dispose();
        }
      }
      offset += size;
    });
    tf.tidy(() => {
      optimizer.accBeta1.assign(tf.scalar(adam.acc1));
      optimizer.accBeta2.assign(tf.scalar(adam.acc2));
    });
    optimizer.iterations_ = (optimizer.iterations_ ?? 0) + adam.steps;
    adam.steps = 0;
  }

  dispose(): void {
    this.adam?.state?.dispose();
    this.adam = null;
  }
}
