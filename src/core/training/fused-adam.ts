import type * as TF from '@tensorflow/tfjs';
import type { Tf } from './backend.js';

/**
 * One Adam update of every weight of a model as a single kernel over flat buffers. tfjs's AdamOptimizer
 * runs about ten kernels per weight tensor (30 % of the kernels of a small MLP's step, each costing a
 * fixed dispatch far above its arithmetic); this runs one.
 *
 * Inputs: `state` = [weights | first moments | second moments] (3·N float32, flat) and `grad` (N);
 * output: the next state (3·N) and, on the host backends, each weight tensor's new values as a further
 * output (`sizes`): their Slice kernel copies the whole input for every slice. Attributes: learning rate, β1, β2, ε and the bias corrections
 * c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. The arithmetic is tfjs's AdamOptimizer's:
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  w ← w − lr · (m / c1) / (√(v / c2) + ε)
 * in a fixed element order, so runs stay reproducible.
 */
export const FUSED_ADAM = 'ExpmanFusedAdam';

export interface FusedAdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
  /** Sizes of the weight tensors, in the order of the flat buffer. */
  sizes: number[];
}

type HostBackend = TF.KernelBackend & {
  /** wasm: a view of a tensor's memory on the wasm heap (no copy). */
  typedArrayFromHeap?: (info: TF.TensorInfo) => Float32Array;
  makeOutput?: (shape: number[], dtype: 'float32') => TF.TensorInfo;
};

function adamHost(s: Float32Array, g: Float32Array, out: Float32Array, a: FusedAdamAttrs): void {
  const n = g.length;
  const { lr, beta1, beta2, epsilon, c1, c2 } = a;
  const k1 = 1 - beta1;
  const k2 = 1 - beta2;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const m = beta1 * s[n + i]! + k1 * gi;
    const v = beta2 * s[2 * n + i]! + k2 * gi * gi;
    out[n + i] = m;
    out[2 * n + i] = v;
    out[i] = s[i]! - (lr * (m / c1)) / (Math.sqrt(v / c2) + epsilon);
  }
}

/** The kernel on the backends whose tensors live in host memory (cpu: JS arrays; wasm: the wasm heap). */
function hostKernel(backendName: 'cpu' | 'wasm'): TF.KernelConfig {
  return {
    kernelName: FUSED_ADAM,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { state, grad } = inputs as unknown as { state: TF.TensorInfo; grad: TF.TensorInfo };
      const b = backend as HostBackend;
      const a = attrs as unknown as FusedAdamAttrs;
      // (The cpu backend has a makeOutput too, with other arguments: the backend's name decides.)
      if (backendName === 'wasm' && b.makeOutput && b.typedArrayFromHeap) {
        // Allocate first: growing the heap detaches earlier views.
        const out = b.makeOutput(state.shape, 'float32');
        const weights = a.sizes.map((size) => b.makeOutput!([size], 'float32'));
        const next = b.typedArrayFromHeap(out);
        adamHost(b.typedArrayFromHeap(state), b.typedArrayFromHeap(grad), next, a);
        let offset = 0;
        for (const w of weights) {
          const view = b.typedArrayFromHeap(w);
          view.set(next.subarray(offset, offset + view.length));
          offset += view.length;
        }
        return [out, ...weights];
      }
      const s = b.readSync(state.dataId) as Float32Array;
      const g = b.readSync(grad.dataId) as Float32Array;
      const out = new Float32Array(s.length);
      adamHost(s, g, out, a);
      let offset = 0;
      const weights = a.sizes.map((size) => {
        const values = out.slice(offset, offset + size);
        offset += size;
        return { dataId: b.write(values, [size], 'float32'), shape: [size], dtype: 'float32' as const };
      });
      return [{ dataId: b.write(out, state.shape, 'float32'), shape: state.shape, dtype: 'float32' }, ...weights];
    },
  };
}

/** The one method of tfjs-webgpu's backend the fused kernels call (typed here: the backend package is loaded only at run time, on WebGPU). */
export interface WebGpuBackend extends TF.KernelBackend {
  runWebGPUProgram(program: object, inputs: TF.TensorInfo[], dtype: 'float32', uniforms?: Array<{ type: 'float32' | 'int32'; data: number[] }>): TF.TensorInfo;
}

/** The same update as one WebGPU compute pass: a thread per weight reads its w, m, v, g and writes all three. */
function webgpuKernel(): TF.KernelConfig {
  return {
    kernelName: FUSED_ADAM,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { state, grad } = inputs as unknown as { state: TF.TensorInfo; grad: TF.TensorInfo };
      const a = attrs as unknown as FusedAdamAttrs;
      const n = grad.shape[0]!;
      const workgroupSize: [number, number, number] = [256, 1, 1];
      const program = {
        variableNames: ['S', 'G'],
        outputShape: state.shape,
        shaderKey: 'expmanFusedAdam',
        dispatchLayout: { x: [0] },
        dispatch: [Math.ceil(n / workgroupSize[0]), 1, 1] as [number, number, number],
        workgroupSize,
        uniforms: 'n : i32, lr : f32, beta1 : f32, beta2 : f32, epsilon : f32, c1 : f32, c2 : f32,',
        getUserCode: () => `
      fn main(index : i32) {
        let n = uniforms.n;
        if (index < n) {
          let g = G[index];
          let m = uniforms.beta1 * S[n + index] + (1.0 - uniforms.beta1) * g;
          let v = uniforms.beta2 * S[2 * n + index] + (1.0 - uniforms.beta2) * g * g;
          setOutputAtIndex(n + index, m);
          setOutputAtIndex(2 * n + index, v);
          setOutputAtIndex(index, S[index] - (uniforms.lr * (m / uniforms.c1)) / (sqrt(v / uniforms.c2) + uniforms.epsilon));
        }
      }`,
      };
      const uniforms = [{ type: 'int32' as const, data: [n] }, ...[a.lr, a.beta1, a.beta2, a.epsilon, a.c1, a.c2].map((v) => ({ type: 'float32' as const, data: [v] }))];
      return (backend as WebGpuBackend).runWebGPUProgram(program, [state, grad], 'float32', uniforms);
    },
  };
}

const registered = new Set<string>();

/** Registers the kernel for a backend; false when there is none for it (the caller uses tfjs's Adam). */
export function registerFusedAdam(tf: Tf, backendName: string): boolean {
  if (registered.has(backendName)) return true;
  const config = backendName === 'cpu' || backendName === 'wasm' ? hostKernel(backendName) : backendName === 'webgpu' ? webgpuKernel() : null;
  if (!config) return false;
  tf.registerKernel(config);
  registered.add(backendName);
  return true;
}

/** Runs one fused update: the next [weights | m | v] state and each weight's new values (flat). */
export function fusedAdam(tf: Tf, state: TF.Tensor1D, grad: TF.Tensor1D, attrs: FusedAdamAttrs): { state: TF.Tensor1D; weights: TF.Tensor1D[] } {
  const out = tf.engine().runKernel<TF.Tensor1D | TF.Tensor1D[]>(FUSED_ADAM, { state, grad }, attrs as unknown as TF.NamedAttrMap);
  if (Array.isArray(out)) return { state: out[0]!, weights: out.slice(1) };
  // One output (webgpu): the weights are slices of the state, copied on the device.
  let offset = 0;
  const weights = attrs.sizes.map((size) => {
    const w = out.slice(offset, size);
    offset += size;
    return w;
  });
  return { state: out, weights };
}
