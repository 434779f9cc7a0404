import { tmpdir } from 'node:os';
import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { parseOverrides, resolveConfig } from '../../../src/core/config/resolve.js';
import { selectBackend, type BackendChoice } from '../../../src/core/training/backend.js';
import { FusedTrainer } from '../../../src/core/training/fused-trainer.js';
import { buildModel } from '../../../src/core/training/model.js';
import {
  GEMM_TILES,
  gemmChoiceFromEnv,
  gemmSharedBytes,
  gemmShader,
  gemmTileFor,
  gemmTileProblem,
  registerWebGpuGemm,
  webGpuGemm,
  WEBGPU_GEMM,
  type GemmTileName,
} from '../../../src/core/training/webgpu-gemm.js';

/**
 * The WebGPU GEMM against products computed here in float64, and the fused step that uses it against
 * the same step on tfjs's matMul. Needs a WebGPU adapter: a GPU, or Mesa's software Vulkan driver
 * (lavapipe, Debian's mesa-vulkan-drivers ≥ 23; Dawn refuses the one in bookworm's 22.3). Without one
 * the GPU tests skip and say why.
 */
let gpu: BackendChoice | null = null;
let noGpu = '';
// CI names Mesa's software Vulkan driver in EXPMAN_TEST_VULKAN_ICD (.ci/run) instead of installing it where
// every process finds it: only this file's process sees the adapter.
const testIcd = process.env['EXPMAN_TEST_VULKAN_ICD'];
if (testIcd && !process.env['VK_DRIVER_FILES']) {
  process.env['VK_DRIVER_FILES'] = testIcd;
  process.env['XDG_RUNTIME_DIR'] ??= tmpdir();
}
try {
  gpu = await selectBackend('webgpu');
} catch (error) {
  noGpu = (error as Error).message;
  console.warn(`webgpu-gemm: GPU tests skipped: ${noGpu}`);
}

/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** op(A)·op(B) (+ bias, relu, × step(mask)) in float64, row-major. */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean, e: { bias?: Float32Array; relu?: boolean; mask?: Float32Array }): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
      if (e.bias) sum += e.bias[j]!;
      if (e.relu) sum = Math.max(sum, 0);
      if (e.mask) sum = e.mask[i * n + j]! > 0 ? sum : 0;
      out[i * n + j] = sum;
    }
  }
  return out;
}

describe('the WebGPU GEMM (without a GPU)', () => {
  it('has tiles whose work splits evenly over 256 threads within 16 KiB of workgroup memory', () => {
    for (const [name, tile] of Object.entries(GEMM_TILES)) {
      expect(gemmTileProblem(tile), name).toBeNull();
      expect((tile.bm / tile.tm) * (tile.bn / tile.tn), name).toBe(256);
      expect(gemmSharedBytes(tile), name).toBeLessThanOrEqual(16384);
    }
    expect(gemmTileProblem({ bm: 128, bn: 64, bk: 8, tm: 8, tn: 4, double: true })).toMatch(/whole vec4s/);
  });

  it('reads its choice from EXPMAN_WEBGPU_GEMM and refuses an unknown one', () => {
    expect(gemmChoiceFromEnv({})).toBe('auto');
    expect(gemmChoiceFromEnv({ EXPMAN_WEBGPU_GEMM: 'off' })).toBe('off');
    expect(gemmChoiceFromEnv({ EXPMAN_WEBGPU_GEMM: '64x64' })).toBe('64x64');
    expect(() => gemmChoiceFromEnv({ EXPMAN_WEBGPU_GEMM: '256x256' })).toThrow(/EXPMAN_WEBGPU_GEMM="256x256": expected off, auto or one of 128x128/);
  });

  it('leaves skinny products to tfjs and picks the tile by the number of workgroups', () => {
    expect(gemmTileFor('auto', 4096, 10)).toBeNull();
    expect(gemmTileFor('128x128', 4096, 31)).toBeNull();
    expect(gemmTileFor('off', 4096, 4096)).toBeNull();
    expect(gemmTileFor('auto', 4096, 4096)).toBe(GEMM_TILES['128x128']);
    expect(gemmTileFor('auto', 256, 4096)).toBe(GEMM_TILES['64x64']); // 64 tiles of 128×128: too few
    expect(gemmTileFor('64x64', 4096, 4096)).toBe(GEMM_TILES['64x64']);
  });

  it('generates a shader whose accumulators are plain variables, one barrier per slice when double-buffered', () => {
    const base = { transposeA: false, transposeB: false, relu: true, vecA: true, vecB: true, vecC: true, bias: true, mask: false };
    const code = gemmShader({ ...base, tile: GEMM_TILES['128x128'] });
    expect(code.match(/var acc\d+_\d+ = /g)).toHaveLength(16); // 8 rows × 2 vec4 columns
    expect(code.match(/fma\(/g)).toHaveLength(16); // 8 rows × 2 vec4 columns, in a loop over the slice
    expect(code.match(/workgroupBarrier\(\)/g)).toHaveLength(2); // after the first slice, and in the loop
    expect(code).not.toMatch(/acc\[/);
    const single = gemmShader({ ...base, tile: GEMM_TILES['128x128s'] });
    expect(single.match(/workgroupBarrier\(\)/g)).toHaveLength(2); // both in the loop
  });
});

describe.skipIf(!gpu)('the WebGPU GEMM on a WebGPU adapter', () => {
  // Each case compiles one shader, which takes seconds on a software adapter: every form on ragged and
  // on vec4 shapes with the 64×64 tile, and the other tiles on a few. With the epilogue (bias + relu
  // forward, the relu mask on A·Bᵀ) about half the outputs are compared as values, the rest as zeros.
  const ragged = { m: 70, n: 45, k: 37 }; // nothing a multiple of 4: scalar loads and stores, partial tiles
  const even = { m: 136, n: 132, k: 40 }; // vec4 everywhere, two or three tiles each way, K over several slices
  const cases: Array<{ tile: GemmTileName; ta: boolean; tb: boolean; shape: { m: number; n: number; k: number } }> = [];
  for (const shape of [ragged, even]) for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) cases.push({ tile: '64x64', ta, tb, shape });
  for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const) cases.push({ tile: '128x128', ta, tb, shape: even });
  cases.push({ tile: '128x128', ta: false, tb: true, shape: ragged });
  cases.push({ tile: '128x128s', ta: false, tb: false, shape: even });
  cases.push({ tile: '128x128s', ta: true, tb: false, shape: ragged });
  for (const { tile: tileName, ta, tb, shape } of cases) {
    const { m, n, k } = shape;
    it(`computes ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} ${tb ? '× step(mask)' : '+ bias, relu'} for ${m}×${n}×${k} with the ${tileName} tile`, async () => {
      const tf = gpu!.tf;
      registerWebGpuGemm(tf);
      const av = values(m * k, m + k);
      const bv = values(k * n, n * 7 + k);
      const biasv = values(n, 5);
      const maskv = values(m * n, 9);
      const a = tf.tensor2d(av, ta ? [k, m] : [m, k]);
      const b = tf.tensor2d(bv, tb ? [n, k] : [k, n]);
      const bias = tf.tensor1d(biasv);
      const mask = tf.tensor2d(maskv, [m, n]);
      const out = webGpuGemm(tf, a, b, ta, tb, GEMM_TILES[tileName], tb ? { mask } : { bias, relu: true });
      expect(out.shape).toEqual([m, n]);
      const want = reference(av, bv, m, n, k, ta, tb, tb ? { mask: maskv } : { bias: biasv, relu: true });
      const got = (await out.data()) as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      // Each sum has k terms of magnitude < 1: fp32 rounding stays far below 1e-5·k.
      expect(worst).toBeLessThan(1e-5 * k);
      const kept = want.filter((x) => x !== 0).length;
      expect(kept).toBeGreaterThan(want.length / 4); // the comparison is not of zeros only
      expect(kept).toBeLessThan(want.length); // the epilogue zeroed some
      tf.dispose([a, b, bias, mask, out]);
    });
  }

  it('trains the same steps as the fused step on tfjs matMul (relu and tanh, Adam, cross-entropy)', async () => {
    const tf = gpu!.tf;
    for (const activation of ['relu', 'tanh']) {
      // Wide enough that every hidden product takes the GEMM (≥ 32 rows and columns); 10 classes stay on tfjs.
      const config = resolveConfig([parseOverrides(['model.hidden_units=[48,36]', 'training.seed=4', `model.activation=${activation}`])]).values;
      const shape = { inputs: 20, classes: 10, task: 'classification' } as const;
      const x = tf.randomNormal<TF.Rank.R2>([40, 20], 0, 1, 'float32', 21);
      const y = tf.oneHot(tf.randomUniform<TF.Rank.R1>([40], 0, 10, 'int32', 22), 10).toFloat() as TF.Tensor2D;
      const models = [buildModel(tf, config, shape), buildModel(tf, config, shape)];
      const gemm = new FusedTrainer(tf, models[0]!, config, 'classification', 'webgpu', { gemm: '64x64' });
      const tfjs = new FusedTrainer(tf, models[1]!, config, 'classification', 'webgpu', { gemm: 'off' });
      expect(gemm.gemm).toBe('64x64');
      // The GEMM really runs in the step (and not in the other).
      const kernels = async (trainer: FusedTrainer): Promise<string[]> =>
        (
          await tf.profile(async () => {
            const { loss, correct } = trainer.step(x, y);
            await loss.data();
            tf.dispose([loss, correct!]);
          })
        ).kernels.map((k) => k.name);
      // Forward through both hidden layers, dz of both hidden layers, dW of the second; the rest are < 32 wide.
      expect((await kernels(gemm)).filter((name) => name === WEBGPU_GEMM)).toHaveLength(5);
      expect(await kernels(tfjs)).not.toContain(WEBGPU_GEMM);
      for (let step = 0; step < 4; step++) {
        const mine = gemm.step(x, y);
        const theirs = tfjs.step(x, y);
        expect((await mine.loss.data())[0]).toBeCloseTo((await theirs.loss.data())[0]!, 4);
        expect((await mine.correct!.data())[0]).toBe((await theirs.correct!.data())[0]);
        tf.dispose([mine.loss, mine.correct!, theirs.loss, theirs.correct!]);
      }
      const [w0, w1] = [models[0]!.getWeights(), models[1]!.getWeights()];
      for (let i = 0; i < w0.length; i++) {
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w0[i]!, w1[i]!))));
        const d = (await diff.data())[0]!;
        diff.dispose();
        expect(d, `weight ${i} (${activation})`).toBeLessThan(1e-4);
      }
      gemm.dispose();
      tfjs.dispose();
      for (const model of models) {
        model.optimizer.dispose();
        model.dispose();
      }
      tf.dispose([x, y]);
    }
  });
});
