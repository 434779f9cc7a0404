import type * as TF from '@tensorflow/tfjs';
import { ExpmanError } from '../errors.js';
import type { Tf } from './backend.js';
import type { WebGpuBackend } from './fused-adam.js';

/**
 * An fp32 matrix product for WebGPU with larger tiles than tfjs-webgpu's matMul (32×32 outputs per
 * workgroup, 4×4 per thread). On a large MLP (256→4096→4096→10, batch 4096) the fused step spends
 * nearly all its time in matMul, where tfjs reached about 20.7 TFLOP/s on an H200 against cuBLAS's ~47:
 * each loaded value feeds only 4 multiply-adds per thread. Here a workgroup of 256 threads computes a
 * BM×BN tile (128×128: 8×8 outputs per thread, kept in registers), staging K-slices of BK in workgroup
 * memory with vec4 loads, double-buffered so the next slice's global loads overlap this slice's
 * arithmetic, one barrier per slice.
 *
 * It computes C = op(A)·op(B) in the three forms the fused step needs (A·B forward, Aᵀ·B for weight
 * gradients, A·Bᵀ for the gradient to the previous layer, without transposing anything in memory), with
 * an epilogue: + bias, relu (the forward layer), or × step(mask) (relu's gradient through the previous
 * layer's output). Every size is handled (loads and stores are bounds-checked; operands whose contiguous
 * dimension is not a multiple of 4 load scalars). The per-thread arithmetic is generated unrolled so the
 * accumulators stay in registers whatever the shader compiler unrolls.
 */
export const WEBGPU_GEMM = 'ExpmanGemm';

export interface GemmTile {
  /** Output rows and columns per workgroup. */
  bm: number;
  bn: number;
  /** K per staged slice. */
  bk: number;
  /** Output rows and columns per thread (multiples of 4). */
  tm: number;
  tn: number;
  /** Two slices in workgroup memory (load the next while computing this one). */
  double: boolean;
}

/** The tile shapes, by the name `EXPMAN_WEBGPU_GEMM` selects. All use 256 threads and ≤ 16 KiB of workgroup memory (WebGPU's default limit). */
export const GEMM_TILES = {
  '128x128': { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8, double: true },
  '128x128s': { bm: 128, bn: 128, bk: 16, tm: 8, tn: 8, double: false },
  '64x64': { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4, double: true },
} satisfies Record<string, GemmTile>;
export type GemmTileName = keyof typeof GEMM_TILES;

/** Which GEMM the fused step uses on WebGPU: tfjs's matMul ('off'), one tile shape, or 'auto' (by the product's size). */
export type GemmChoice = 'off' | 'auto' | GemmTileName;

/**
 * The choice from `EXPMAN_WEBGPU_GEMM` (unset: auto). An environment variable rather than a config key:
 * it selects an implementation, not a result (every choice trains the same model within fp32 rounding),
 * and exists so one GPU run can compare them.
 */
export function gemmChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): GemmChoice {
  const value = env['EXPMAN_WEBGPU_GEMM']?.trim() || 'auto';
  if (value === 'off' || value === 'auto' || value in GEMM_TILES) return value as GemmChoice;
  throw new ExpmanError('CONFIG_INVALID', `EXPMAN_WEBGPU_GEMM="${value}": expected off, auto or one of ${Object.keys(GEMM_TILES).join(', ')}`, { key: 'EXPMAN_WEBGPU_GEMM' });
}

/**
 * The tile for an M×N product under a choice, or null for tfjs's matMul. Products with fewer than 32
 * rows or columns (the 10-class output layer) would leave most of a tile idle. 'auto' takes 128×128 when
 * that still gives at least 128 workgroups (enough to fill a large GPU), else 64×64.
 */
export function gemmTileFor(choice: GemmChoice, m: number, n: number): GemmTile | null {
  if (choice === 'off' || m < 32 || n < 32) return null;
  if (choice !== 'auto') return GEMM_TILES[choice];
  const big = GEMM_TILES['128x128'];
  return Math.ceil(m / big.bm) * Math.ceil(n / big.bn) >= 128 ? big : GEMM_TILES['64x64'];
}

export interface GemmAttrs {
  transposeA: boolean;
  transposeB: boolean;
  /** relu after the bias (forward), or none. */
  relu: boolean;
  tile: GemmTile;
}

/** What the shader depends on beyond the tile (shapes enter as uniforms). */
export interface GemmVariant extends GemmAttrs {
  /** A's and B's contiguous dimension is a multiple of 4: vec4 loads. */
  vecA: boolean;
  vecB: boolean;
  /** N is a multiple of 4: vec4 output, bias and mask. */
  vecC: boolean;
  bias: boolean;
  mask: boolean;
}

export function gemmDims(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): { m: number; n: number; k: number } {
  const [a0, a1] = a as [number, number];
  const [b0, b1] = b as [number, number];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const kb = transposeB ? b1 : b0;
  if (k !== kb) throw new Error(`gemm: inner dimensions differ (${a.join('×')}${transposeA ? 'ᵀ' : ''} · ${b.join('×')}${transposeB ? 'ᵀ' : ''})`);
  return { m, n: transposeB ? b0 : b1, k };
}

/** Workgroup memory a tile uses, bytes. */
export function gemmSharedBytes(t: GemmTile): number {
  return (t.double ? 2 : 1) * t.bk * (t.bm + t.bn) * 4;
}

/** Checks that a tile's work divides evenly among its threads (each loads whole vec4s). */
export function gemmTileProblem(t: GemmTile): string | null {
  const threads = (t.bm / t.tm) * (t.bn / t.tn);
  if (t.tm % 4 || t.tn % 4 || t.bk % 4 || t.bm % t.tm || t.bn % t.tn) return 'tile sizes must be multiples of 4 and of the per-thread tile';
  if (((t.bm * t.bk) / 4) % threads || ((t.bn * t.bk) / 4) % threads) return `a ${t.bm}×${t.bk} or ${t.bk}×${t.bn} slice does not split into whole vec4s over ${threads} threads`;
  if (threads > 256) return `${threads} threads per workgroup (at most 256)`;
  return null;
}

/**
 * The WGSL of one variant (the body after tfjs's prelude, which declares `result`, the inputs A, B,
 * bias, mask, `uniforms` and the builtins localIndex and workgroupId).
 */
export function gemmShader(v: GemmVariant): string {
  const t = v.tile;
  const tx = t.bn / t.tn; // threads along n
  const threads = tx * (t.bm / t.tm);
  const bufs = t.double ? 2 : 1;
  const aRow = t.bm / 4; // vec4s in one k-row of the A slice
  const bRow = t.bn / 4;
  const lines: string[] = [];
  const emit = (s: string): number => lines.push(s);

  // One operand's loads: `stored` is its layout in memory, rows × cols, vec4 along cols (or 4 scalars).
  // The slice in workgroup memory is always k-major (k rows of BM or BN values), so the inner loop reads
  // vec4s along m and n; an operand stored k-contiguous is transposed on the way in.
  const loader = (name: 'A' | 'B', vec: boolean): string => {
    const cols = name === 'A' ? (v.transposeA ? 'uniforms.dimM' : 'uniforms.dimK') : v.transposeB ? 'uniforms.dimK' : 'uniforms.dimN';
    const rows = name === 'A' ? (v.transposeA ? 'uniforms.dimK' : 'uniforms.dimM') : v.transposeB ? 'uniforms.dimN' : 'uniforms.dimK';
    const body = vec
      ? `if (row < ${rows} && col < ${cols}) { return ${name}[(row * ${cols} + col) / 4]; }
    return vec4<f32>(0.0);`
      : `var v = vec4<f32>(0.0);
    if (row < ${rows}) {
      let base = row * ${cols};
      if (col < ${cols}) { v.x = ${name}[base + col]; }
      if (col + 1 < ${cols}) { v.y = ${name}[base + col + 1]; }
      if (col + 2 < ${cols}) { v.z = ${name}[base + col + 2]; }
      if (col + 3 < ${cols}) { v.w = ${name}[base + col + 3]; }
    }
    return v;`;
    return `fn load${name}(row : i32, col : i32) -> vec4<f32> {
    ${body}
  }`;
  };
  emit(loader('A', v.vecA));
  emit(loader('B', v.vecB));
  emit(`var<workgroup> As : array<vec4<f32>, ${bufs * t.bk * aRow}>;`);
  emit(`var<workgroup> Bs : array<vec4<f32>, ${bufs * t.bk * bRow}>;`);

  // Global → registers → workgroup memory, for one operand. kContig: the operand's rows run along m (or n)
  // and its columns along k. Thread → element maps keep workgroup stores free of bank conflicts: the
  // k-contiguous case puts consecutive threads on consecutive m (the other half of each 32-byte sector is
  // read by the neighbouring warps, from L1), the other on consecutive vec4s of one k-row (coalesced).
  const per = { A: (t.bm * t.bk) / 4 / threads, B: (t.bn * t.bk) / 4 / threads };
  const kContig = { A: !v.transposeA, B: v.transposeB };
  const extent = { A: t.bm, B: t.bn };
  const origin = { A: 'm0', B: 'n0' };
  const rowLen = { A: aRow, B: bRow };
  const fetch = (name: 'A' | 'B'): void => {
    for (let l = 0; l < per[name]; l++) {
      const idx = `(${l * threads} + li)`;
      if (kContig[name]) emit(`    r${name}${l} = load${name}(${origin[name]} + ${idx} % ${extent[name]}, k0 + (${idx} / ${extent[name]}) * 4);`);
      else emit(`    r${name}${l} = load${name}(k0 + ${idx} / ${rowLen[name]}, ${origin[name]} + (${idx} % ${rowLen[name]}) * 4);`);
    }
  };
  const store = (name: 'A' | 'B', buf: string): void => {
    const arr = `${name}s`;
    for (let l = 0; l < per[name]; l++) {
      const idx = `(${l * threads} + li)`;
      if (kContig[name]) {
        emit(`    {
      let e = ${idx} % ${extent[name]};
      let k = (${idx} / ${extent[name]}) * 4;
      let at = ${buf} + k * ${rowLen[name]} + e / 4;
      let c = e % 4;
      ${arr}[at][c] = r${name}${l}.x;
      ${arr}[at + ${rowLen[name]}][c] = r${name}${l}.y;
      ${arr}[at + ${2 * rowLen[name]}][c] = r${name}${l}.z;
      ${arr}[at + ${3 * rowLen[name]}][c] = r${name}${l}.w;
    }`);
      } else emit(`    ${arr}[${buf} + ${idx}] = r${name}${l};`);
    }
  };

  const gm = t.tm / 4; // row groups of 4 per thread
  const gn = t.tn / 4;
  emit(`fn main() {
    let li = i32(localIndex);
    let tx = li % ${tx};
    let ty = li / ${tx};
    let m0 = i32(workgroupId.y) * ${t.bm};
    let n0 = i32(workgroupId.x) * ${t.bn};
    let slices = (uniforms.dimK + ${t.bk - 1}) / ${t.bk};`);
  for (let l = 0; l < per.A; l++) emit(`    var rA${l} : vec4<f32>;`);
  for (let l = 0; l < per.B; l++) emit(`    var rB${l} : vec4<f32>;`);
  for (let r = 0; r < t.tm; r++) for (let h = 0; h < gn; h++) emit(`    var acc${r}_${h} = vec4<f32>(0.0);`);
  // The k-loop stays a loop (a shader compiler unrolls a constant trip count where it pays; unrolling it
  // here made shaders BK times longer to compile); its body, every accumulator by name, is unrolled.
  const compute = (bufA: string, bufB: string): void => {
    emit(`      for (var kk = 0; kk < ${t.bk}; kk++) {`);
    for (let g = 0; g < gm; g++) emit(`        let a${g} = As[${bufA} + kk * ${aRow} + ${(g * t.bm) / t.tm} + ty];`);
    for (let h = 0; h < gn; h++) emit(`        let b${h} = Bs[${bufB} + kk * ${bRow} + ${(h * t.bn) / t.tn} + tx];`);
    for (let g = 0; g < gm; g++) {
      for (let i = 0; i < 4; i++) {
        const comp = 'xyzw'[i]!;
        for (let h = 0; h < gn; h++) emit(`        acc${g * 4 + i}_${h} = fma(vec4<f32>(a${g}.${comp}), b${h}, acc${g * 4 + i}_${h});`);
      }
    }
    emit('      }');
  };
  if (t.double) {
    // Slice s lives in buffer s % 2. Between the barrier ending slice s − 1 and the one ending slice s,
    // threads read buffer s % 2 and write buffer (s + 1) % 2, which nobody reads until after that barrier.
    emit(`    if (slices > 0) {
      let k0 = 0;`);
    fetch('A');
    fetch('B');
    store('A', '0');
    store('B', '0');
    emit(`    }
    workgroupBarrier();
    for (var s = 0; s < slices; s++) {
      let cur = s % 2;
      let nxt = 1 - cur;
      let more = s + 1 < slices;
      if (more) {
        let k0 = (s + 1) * ${t.bk};`);
    fetch('A');
    fetch('B');
    emit(`      }
      {
        let oa = cur * ${t.bk * aRow};
        let ob = cur * ${t.bk * bRow};`);
    compute('oa', 'ob');
    emit(`      }
      if (more) {
        let oa = nxt * ${t.bk * aRow};
        let ob = nxt * ${t.bk * bRow};`);
    store('A', 'oa');
    store('B', 'ob');
    emit(`      }
      workgroupBarrier();
    }`);
  } else {
    emit(`    for (var s = 0; s < slices; s++) {
      let k0 = s * ${t.bk};`);
    fetch('A');
    fetch('B');
    store('A', '0');
    store('B', '0');
    emit(`      workgroupBarrier();
      {`);
    compute('0', '0');
    emit(`      }
      workgroupBarrier();
    }`);
  }

  // Epilogue: thread (tx, ty) owns rows g·(BM/gm) + 4·ty + i and columns h·(BN/gn) + 4·tx + 0..3.
  // Without vec4 output, the four columns are read one by one, each index clamped into its row (select
  // evaluates both sides).
  const four = (name: string, first: string, last: string): string =>
    `vec4<f32>(${[0, 1, 2, 3].map((j) => `select(0.0, ${name}[min(${first} + ${j}, ${last})], col + ${j} < uniforms.dimN)`).join(', ')})`;
  for (let g = 0; g < gm; g++) {
    for (let i = 0; i < 4; i++) {
      const r = g * 4 + i;
      emit(`    {
      let row = m0 + ${(g * t.bm) / gm} + ty * 4 + ${i};
      if (row < uniforms.dimM) {`);
      for (let h = 0; h < gn; h++) {
        emit(`        {
          let col = n0 + ${(h * t.bn) / gn} + tx * 4;
          if (col < uniforms.dimN) {
            var c = acc${r}_${h};`);
        if (v.bias) emit(`            c = c + ${v.vecC ? 'bias[col / 4]' : four('bias', 'col', 'uniforms.dimN - 1')};`);
        if (v.relu) emit(`            c = max(c, vec4<f32>(0.0));`);
        if (v.mask) {
          const m = v.vecC ? 'mask[(row * uniforms.dimN + col) / 4]' : four('mask', 'row * uniforms.dimN + col', 'row * uniforms.dimN + uniforms.dimN - 1');
          emit(`            c = select(vec4<f32>(0.0), c, ${m} > vec4<f32>(0.0));`);
        }
        if (v.vecC) emit(`            result[(row * uniforms.dimN + col) / 4] = c;`);
        else {
          emit(`            let at = row * uniforms.dimN + col;
            result[at] = c.x;
            if (col + 1 < uniforms.dimN) { result[at + 1] = c.y; }
            if (col + 2 < uniforms.dimN) { result[at + 2] = c.z; }
            if (col + 3 < uniforms.dimN) { result[at + 3] = c.w; }`);
        }
        emit(`          }
        }`);
      }
      emit(`      }
    }`);
    }
  }
  emit('  }');
  return lines.join('\n');
}

function gemmKernel(): TF.KernelConfig {
  return {
    kernelName: WEBGPU_GEMM,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b, bias, mask } = inputs as unknown as { a: TF.TensorInfo; b: TF.TensorInfo; bias?: TF.TensorInfo; mask?: TF.TensorInfo };
      const at = attrs as unknown as GemmAttrs;
      const { m, n, k } = gemmDims(a.shape, b.shape, at.transposeA, at.transposeB);
      const variant: GemmVariant = {
        ...at,
        vecA: a.shape[1]! % 4 === 0,
        vecB: b.shape[1]! % 4 === 0,
        vecC: n % 4 === 0,
        bias: Boolean(bias),
        mask: Boolean(mask),
      };
      const t = at.tile;
      const c = variant.vecC ? 4 : 1;
      const named: Array<[string, TF.TensorInfo | undefined, number]> = [
        ['A', a, variant.vecA ? 4 : 1],
        ['B', b, variant.vecB ? 4 : 1],
        ['bias', bias, c],
        ['mask', mask, c],
      ];
      const used = named.filter((x): x is [string, TF.TensorInfo, number] => x[1] !== undefined);
      const key = [t.bm, t.bn, t.bk, t.tm, t.tn, t.double ? 'd' : 's', ...(['transposeA', 'transposeB', 'relu', 'vecA', 'vecB', 'vecC', 'bias', 'mask'] as const).map((f) => (variant[f] ? 1 : 0))].join('_');
      const program = {
        variableNames: used.map((x) => x[0]),
        variableComponents: used.map((x) => x[2]),
        outputComponent: c,
        outputShape: [m, n],
        shaderKey: `expmanGemm_${key}`,
        dispatchLayout: { x: [1], y: [0] },
        dispatch: [Math.ceil(n / t.bn), Math.ceil(m / t.bm), 1] as [number, number, number],
        workgroupSize: [(t.bn / t.tn) * (t.bm / t.tm), 1, 1] as [number, number, number],
        uniforms: 'dimM : i32, dimN : i32, dimK : i32,',
        getUserCode: () => gemmShader(variant),
      };
      const uniforms = [m, n, k].map((d) => ({ type: 'int32' as const, data: [d] }));
      return (backend as WebGpuBackend).runWebGPUProgram(program, used.map((x) => x[1]), 'float32', uniforms);
    },
  };
}

let registered = false;

/** Registers the kernel on the webgpu backend (once). */
export function registerWebGpuGemm(tf: Tf): void {
  if (registered) return;
  tf.registerKernel(gemmKernel());
  registered = true;
}

export interface GemmEpilogue {
  /** Added to every row (length N). */
  bias?: TF.Tensor1D;
  /** relu after the bias. */
  relu?: boolean;
  /** Keeps an output where mask > 0 and zeroes it elsewhere (M×N): relu's gradient, given relu's output. */
  mask?: TF.Tensor2D;
}

/** op(A)·op(B) with the epilogue, on the WebGPU GEMM with `tile` (register it first). */
export function webGpuGemm(tf: Tf, a: TF.Tensor2D, b: TF.Tensor2D, transposeA: boolean, transposeB: boolean, tile: GemmTile, epilogue: GemmEpilogue = {}): TF.Tensor2D {
  const inputs: TF.NamedTensorMap = { a, b };
  if (epilogue.bias) inputs['bias'] = epilogue.bias;
  if (epilogue.mask) inputs['mask'] = epilogue.mask;
  const attrs: GemmAttrs = { transposeA, transposeB, relu: Boolean(epilogue.relu), tile };
  return tf.engine().runKernel<TF.Tensor2D>(WEBGPU_GEMM, inputs, attrs as unknown as TF.NamedAttrMap);
}
