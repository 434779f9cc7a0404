import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/training/backend.js';

describe('patched BatchMatMul (explicit transpose, then the fast path)', () => {
  it('gives the products of all transpose combinations on wasm, without leaking', async () => {
    const { tf, backend } = await selectBackend('wasm'); // the loader applies the patch
    expect(backend).toBe('wasm');
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
    const plain = tf.matMul(a, b);
    const tA = tf.matMul(a.transpose(), tf.eye(3), true, false); // (aᵀ)ᵀ·I = a
    const tB = tf.matMul(a, b.transpose(), false, true); // a·(bᵀ)ᵀ = a·b
    const both = tf.matMul(b, a, true, true); // bᵀ·aᵀ = (a·b)ᵀ
    expect(await plain.array()).toEqual([
      [58, 64],
      [139, 154],
    ]);
    expect(await tA.array()).toEqual(await a.array());
    expect(await tB.array()).toEqual(await plain.array());
    expect(await both.array()).toEqual(await plain.transpose().array());
    // Batched (rank 3) operands too.
    const a3 = tf.stack([a, a.mul(2)]);
    const b3 = tf.stack([b.transpose(), b.transpose()]);
    const batched = tf.matMul(a3, b3, false, true);
    expect(await batched.array()).toEqual([await plain.array(), await plain.mul(2).array()]);
    tf.dispose([plain, tA, tB, both, a3, b3, batched]);
    // The transposed copies the kernel makes are freed: the backend holds no more buffers than before.
    const buffers = tf.engine().backend.numDataIds();
    const again = tf.matMul(b, a, true, true);
    again.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
  });
});

describe('Conv2DBackpropFilter on the host backends', () => {
  // The reference: L = Σ conv2d(x, w) · r is linear in w, so dL/dw[k] = Σ conv2d(x, one-hot k) · r, which
  // needs only the forward convolution (not the kernel under test).
  const cases: Array<{ strides: [number, number]; pad: 'same' | 'valid'; dilations: [number, number] }> = [
    { strides: [1, 1], pad: 'same', dilations: [1, 1] },
    { strides: [2, 1], pad: 'same', dilations: [1, 1] },
    { strides: [1, 2], pad: 'valid', dilations: [1, 1] }, // tfjs has no gradient for dilations > 1
  ];
  for (const backendName of ['wasm', 'cpu'] as const) {
    it(`gives the gradient of the forward convolution on ${backendName} (strides, padding)`, async () => {
      const { tf } = await selectBackend(backendName);
      for (const { strides, pad, dilations } of cases) {
        const x = tf.randomNormal<import('@tensorflow/tfjs').Rank.R4>([3, 7, 6, 2], 0, 1, 'float32', 1);
        const w = tf.randomNormal<import('@tensorflow/tfjs').Rank.R4>([3, 3, 2, 4], 0, 1, 'float32', 2);
        const r = tf.randomNormal(tf.conv2d(x, w, strides, pad, 'NHWC', dilations).shape, 0, 1, 'float32', 3);
        const grad = tf.grad((v: import('@tensorflow/tfjs').Tensor) => tf.conv2d(x, v as import('@tensorflow/tfjs').Tensor4D, strides, pad, 'NHWC', dilations).mul(r).sum())(w);
        const got = await grad.data();
        const expected: number[] = [];
        for (let k = 0; k < w.size; k++) {
          const onehot = tf.oneHot(tf.tensor1d([k], 'int32'), w.size).cast('float32').reshape<import('@tensorflow/tfjs').Tensor4D>(w.shape);
          expected.push((await tf.conv2d(x, onehot, strides, pad, 'NHWC', dilations).mul(r).sum().data())[0]!);
        }
        expected.forEach((value, k) => expect(got[k]).toBeCloseTo(value, 3));
      }
    });
  }

  it('makes a conv layer train at interactive speed on cpu (the stock kernel took 300 ms for this)', async () => {
    const { tf } = await selectBackend('cpu');
    const h = tf.randomNormal([16, 4, 4, 16]);
    const w = tf.randomNormal([3, 3, 16, 32]);
    const step = (): void => tf.tidy(() => void tf.grad((v: import('@tensorflow/tfjs').Tensor) => tf.conv2d(h as import('@tensorflow/tfjs').Tensor4D, v as import('@tensorflow/tfjs').Tensor4D, 1, 'same').sum())(w));
    step(); // compile
    const start = performance.now();
    for (let i = 0; i < 10; i++) step();
    expect((performance.now() - start) / 10).toBeLessThan(100);
  });
});
