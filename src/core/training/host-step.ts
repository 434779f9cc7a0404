import type * as TF from '@tensorflow/tfjs';
import type { FlatConfig } from '../config/schema.js';
import type { Tf } from './backend.js';

/**
 * The fused training step of the built-in network on the backends that compute in host memory (wasm,
 * cpu), as one call into tfjs's engine instead of ~55. For a small network tfjs's per-op bookkeeping
 * (tensor tracking in WeakMaps, scopes, kernel lookup) costs more than the arithmetic, so this calls
 * the backend's own kernels directly (fused matMul + bias + relu, the patched BatchMatMul for the
 * gradients) on the backend's buffers, does the element-wise parts — softmax and loss, activation
 * gradients, bias gradients — in plain loops over those buffers, and frees its intermediates itself.
 * Only the new weights, the loss and the correct count become tfjs tensors. The arithmetic is the same
 * as FusedTrainer's tensor-op step (which the GPU uses), in a fixed order: runs stay reproducible.
 */

type Info = TF.TensorInfo;
type KernelFunc = TF.KernelConfig['kernelFunc'];
type Activation = FlatConfig['model.activation'];
export type HostLoss = 'cross_entropy' | 'mse' | 'mae' | 'huber';

interface HostBackend extends TF.KernelBackend {
  typedArrayFromHeap?: (info: Info) => Float32Array;
  makeOutput?: (shape: number[], dtype: 'float32') => Info;
}

/** The gradients of one batch (backend buffers, freed by `release`), its loss and correct count. */
export interface HostGradients {
  /** Per weight tensor, in the order kernel, bias of each layer. */
  grads: Info[];
  loss: number;
  correct: number | null;
}

export class HostStep {
  private readonly backend: HostBackend;
  private readonly fusedMatMul: KernelFunc;
  private readonly matMul: KernelFunc;
  private temps: Info[] = [];
  /** Work done on the backend, for profiling: kernel calls (each one call into wasm on wasm), buffers allocated, their bytes. */
  readonly stats = { kernelCalls: 0, allocations: 0, bytes: 0 };

  constructor(
    private readonly tf: Tf,
    private readonly backendName: 'wasm' | 'cpu',
    private readonly activation: Activation,
    private readonly loss: HostLoss,
  ) {
    this.backend = tf.backend();
    this.fusedMatMul = tf.getKernel('_FusedMatMul', backendName).kernelFunc;
    this.matMul = tf.getKernel('BatchMatMul', backendName).kernelFunc;
  }

  /** A writable buffer on the backend (wasm: on its heap). Views are taken after all allocations. */
  alloc(shape: number[]): Info {
    const b = this.backend;
    // (The cpu backend has a makeOutput too, with other arguments: the backend's name decides.)
    const info = this.backendName === 'wasm' ? b.makeOutput!(shape, 'float32') : { dataId: b.write(new Float32Array(shape.reduce((a, c) => a * c, 1)), shape, 'float32'), shape, dtype: 'float32' as const };
    this.temps.push(info);
    this.count(info);
    return info;
  }

  private count(info: Info): void {
    this.stats.allocations++;
    this.stats.bytes += 4 * info.shape.reduce((a, c) => a * c, 1);
  }

  /** The buffer's values, writable in place (wasm: a heap view, invalid after the next allocation). */
  view(info: Info): Float32Array {
    const b = this.backend;
    return this.backendName === 'wasm' ? b.typedArrayFromHeap!(info) : (b.readSync(info.dataId) as Float32Array);
  }

  private run(kernel: KernelFunc, inputs: Record<string, Info>, attrs: Record<string, unknown>): Info {
    const out = kernel({ inputs: inputs, backend: this.backend, attrs: attrs as TF.NamedAttrMap }) as Info;
    this.temps.push(out);
    this.stats.kernelCalls++;
    this.count(out);
    return out;
  }

  private static as3(info: Info, rows: number, cols: number): Info {
    return { dataId: info.dataId, shape: [1, rows, cols], dtype: 'float32' };
  }

  /**
   * Forward and backward of a batch through dense layers `weights` = [kernel, bias, …]. Returns the
   * gradients (backend buffers owned by this step until `release`), the mean loss and the number of
   * correct predictions (classification).
   */
  gradients(x: Info, y: Info, weights: Info[]): HostGradients {
    const rows = x.shape[0]!;
    const layers = weights.length / 2;
    const sizes = Array.from({ length: layers + 1 }, (_, i) => (i === 0 ? x.shape[1]! : weights[2 * i - 1]!.shape[0]!));
    const outputs: Info[] = [];
    let h = x;
    for (let i = 0; i < layers; i++) {
      const hidden = i < layers - 1;
      const activation = hidden && this.activation === 'relu' ? 'relu' : 'linear';
      h = this.run(this.fusedMatMul, { a: HostStep.as3(h, rows, sizes[i]!), b: HostStep.as3(weights[2 * i]!, sizes[i]!, sizes[i + 1]!), bias: weights[2 * i + 1]! }, { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 });
      if (hidden && activation === 'linear') this.activate(this.view(h));
      outputs.push(h);
    }
    const { dz: dOut, loss, correct } = this.lossGradient(outputs[layers - 1]!, y, rows, sizes[layers]!);
    const grads = new Array<Info>(weights.length);
    let dz = dOut;
    for (let i = layers - 1; i >= 0; i--) {
      const input = i === 0 ? x : outputs[i - 1]!;
      grads[2 * i] = this.run(this.matMul, { a: HostStep.as3(input, rows, sizes[i]!), b: HostStep.as3(dz, rows, sizes[i + 1]!) }, { transposeA: true, transposeB: false });
      const db = this.alloc([sizes[i + 1]!]);
      this.columnSums(this.view(dz), this.view(db), rows, sizes[i + 1]!);
      grads[2 * i + 1] = db;
      if (i > 0) {
        const da = this.run(this.matMul, { a: HostStep.as3(dz, rows, sizes[i + 1]!), b: HostStep.as3(weights[2 * i]!, sizes[i]!, sizes[i + 1]!) }, { transposeA: false, transposeB: true });
        this.activationGradient(this.view(da), this.view(outputs[i - 1]!));
        dz = da;
      }
    }
    return { grads: grads.map((g, i) => ({ ...g, shape: weights[i]!.shape })), loss, correct };
  }

  /** Frees every buffer this step allocated except `keep`. */
  release(keep: Info[] = []): void {
    const kept = new Set(keep.map((k) => k.dataId));
    for (const info of this.temps) if (!kept.has(info.dataId)) this.backend.disposeData(info.dataId);
    this.temps = [];
  }

  /** Hands buffers over to the caller (they become tfjs tensors): not freed by `release`. */
  adopt(info: Info): void {
    this.temps = this.temps.filter((t) => t.dataId !== info.dataId);
  }

  private activate(a: Float32Array): void {
    switch (this.activation) {
      case 'tanh':
        for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]!);
        break;
      case 'sigmoid':
        for (let i = 0; i < a.length; i++) a[i] = 1 / (1 + Math.exp(-a[i]!));
        break;
      case 'elu':
        for (let i = 0; i < a.length; i++) if (a[i]! < 0) a[i] = Math.expm1(a[i]!);
        break;
      case 'relu':
      case 'selu':
        throw new Error(`no host forward for ${this.activation}`); // relu is fused; selu is refused (fusedStepUnsupported)
    }
  }

  /** da ← da · f′ from the activation's output a (in place). */
  private activationGradient(da: Float32Array, a: Float32Array): void {
    switch (this.activation) {
      case 'relu':
        for (let i = 0; i < da.length; i++) if (!(a[i]! > 0)) da[i] = 0;
        break;
      case 'tanh':
        for (let i = 0; i < da.length; i++) da[i]! *= 1 - a[i]! * a[i]!;
        break;
      case 'sigmoid':
        for (let i = 0; i < da.length; i++) da[i]! *= a[i]! * (1 - a[i]!);
        break;
      case 'elu':
        for (let i = 0; i < da.length; i++) if (!(a[i]! > 0)) da[i]! *= a[i]! + 1;
        break;
      case 'selu':
        throw new Error('no host gradient for selu');
    }
  }

  private columnSums(m: Float32Array, out: Float32Array, rows: number, cols: number): void {
    out.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c]! += m[r * cols + c]!;
  }

  /** The mean loss as the compiled model computes it, its gradient w.r.t. the last layer's output, and the correct count. */
  private lossGradient(out: Info, y: Info, rows: number, units: number): { dz: Info; loss: number; correct: number | null } {
    const dzInfo = this.alloc([rows, units]);
    const z = this.view(out);
    const t = this.view(y);
    const dz = this.view(dzInfo);
    const n = 1 / rows;
    let loss = 0;
    if (this.loss === 'cross_entropy') {
      const eps = this.tf.backend().epsilon();
      let correct = 0;
      for (let r = 0; r < rows; r++) {
        const base = r * units;
        let max = -Infinity;
        let arg = 0;
        let label = 0;
        for (let c = 0; c < units; c++) {
          const v = z[base + c]!;
          if (v > max) [max, arg] = [v, c];
          if (t[base + c]! > t[base + label]!) label = c;
        }
        if (arg === label) correct++;
        let sum = 0;
        for (let c = 0; c < units; c++) sum += Math.exp(z[base + c]! - max);
        for (let c = 0; c < units; c++) {
          const p = Math.fround(Math.exp(z[base + c]! - max) / sum);
          const target = t[base + c]!;
          if (target !== 0) loss -= target * Math.log(Math.min(Math.max(p, eps), 1 - eps));
          dz[base + c] = (p - target) * n;
        }
      }
      return { dz: dzInfo, loss: loss * n, correct };
    }
    // Regression: one output unit.
    for (let i = 0; i < rows; i++) {
      const d = z[i]! - t[i]!;
      const e = Math.abs(d);
      switch (this.loss) {
        case 'mse':
          loss += d * d;
          dz[i] = 2 * d * n;
          break;
        case 'mae':
          loss += e;
          dz[i] = Math.sign(d) * n;
          break;
        case 'huber': {
          const q = Math.min(e, 1);
          loss += 0.5 * q * q + (e - q);
          dz[i] = Math.max(-1, Math.min(1, d)) * n;
          break;
        }
      }
    }
    return { dz: dzInfo, loss: loss * n, correct: null };
  }
}

/** Adam over host arrays: the same update as the fused Adam kernel (fused-adam.ts), into new weight buffers. */
export function hostAdam(
  step: HostStep,
  weights: Info[],
  grads: Info[],
  state: { m: Float32Array; v: Float32Array },
  a: { lr: number; beta1: number; beta2: number; epsilon: number; c1: number; c2: number },
): Info[] {
  const next = weights.map((w) => step.alloc(w.shape));
  const { lr, beta1, beta2, epsilon, c1, c2 } = a;
  const k1 = 1 - beta1;
  const k2 = 1 - beta2;
  let offset = 0;
  weights.forEach((w, j) => {
    const wv = step.view(w);
    const g = step.view(grads[j]!);
    const out = step.view(next[j]!);
    const { m, v } = state;
    for (let i = 0; i < wv.length; i++) {
      const gi = g[i]!;
      const k = offset + i;
      const mi = (m[k] = beta1 * m[k]! + k1 * gi);
      const vi = (v[k] = beta2 * v[k]! + k2 * gi * gi);
      out[i] = wv[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
    }
    offset += wv.length;
  });
  return next;
}
