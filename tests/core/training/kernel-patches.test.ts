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
