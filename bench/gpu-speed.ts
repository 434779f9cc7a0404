/**
 * The trainer against PyTorch on a GPU (issue 17, "Trainer on GPU"): the same MLP, batch and optimiser
 * (Adam, lr 0.01) trained by tfjs's `model.fit`, by the app's fused step (fused-trainer.ts: fused
 * matMul + bias + relu, hand-written backward, one Adam kernel over all weights), and by PyTorch (CUDA
 * when present) in one run. Data are random tensors already on the device, so the figures are the
 * training step's, not the data pipeline's; each epoch is timed to the last weight update being read.
 *
 *   node gpu-speed.mjs [--backend webgpu] [--models small,large] [--epochs 4] [--rows-scale 1]
 *        [--gemms auto,off,128x128,128x128s,64x64] [--gemm-size 4096]
 *        [--fused-flags 'NAME=V,NAME=V;NAME=V'] [--python python3] [--out FILE.json]
 *
 * On webgpu, first the step's own GEMM (webgpu-gemm.ts) against tfjs's matMul: each tile and form on
 * ragged shapes for correctness (max |difference|), then an S×S×S product of each for TFLOP/s. Then the
 * fused step once per --gemms choice: 'fused' is auto (the app's default), fused[gemm=off] tfjs's matMul.
 *
 * --fused-flags: further fused variants, each with tfjs environment flags set (`;` between variants),
 * e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 (commands per GPU submit) or WEBGPU_MATMUL_PROGRAM_TYPE=3.
 *
 * Bundled with tfjs inside for a GPU machine without node_modules (scripts/gpu-check/prepare.sh); run
 * on wasm or cpu locally (small --rows-scale) to check the script itself.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { parseOverrides, resolveConfig } from '../src/core/config/resolve.js';
import { selectBackend, type ConcreteBackend } from '../src/core/training/backend.js';
import { FusedTrainer } from '../src/core/training/fused-trainer.js';
import { buildModel } from '../src/core/training/model.js';
import { GEMM_TILES, gemmChoiceFromEnv, registerWebGpuGemm, webGpuGemm, type GemmChoice, type GemmTileName } from '../src/core/training/webgpu-gemm.js';

interface GpuModel {
  name: string;
  inputs: number;
  hidden: number[];
  classes: number;
  batch: number;
  rows: number;
  target: number;
}

const MODELS: Record<string, GpuModel> = {
  small: { name: '256→1024→1024→10, batch 512', inputs: 256, hidden: [1024, 1024], classes: 10, batch: 512, rows: 40_960, target: 0.2 },
  large: { name: '256→4096→4096→10, batch 4096', inputs: 256, hidden: [4096, 4096], classes: 10, batch: 4096, rows: 81_920, target: 0.5 },
};

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    models: { type: 'string', default: 'small,large' },
    epochs: { type: 'string', default: '4' },
    'rows-scale': { type: 'string', default: '1' },
    'fused-flags': { type: 'string', default: '' },
    gemms: { type: 'string', default: 'auto,off' },
    'gemm-size': { type: 'string', default: '4096' },
    python: { type: 'string', default: 'python3' },
    out: { type: 'string' },
  },
});
const epochs = Math.max(2, Number(values.epochs));
const backendName = values.backend as ConcreteBackend;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const flopsPerSample = (m: GpuModel): number => {
  const sizes = [m.inputs, ...m.hidden, m.classes];
  let macs = 0;
  for (let i = 0; i + 1 < sizes.length; i++) macs += sizes[i]! * sizes[i + 1]!;
  return 6 * macs;
};

/** Median samples/s over epochs 2..E (epoch 1 compiles shaders and allocates). */
async function timeEpochs(rows: number, epoch: () => Promise<void>): Promise<{ samplesPerS: number; epochMs: number[] }> {
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t = performance.now();
    await epoch();
    times.push(performance.now() - t);
  }
  return { samplesPerS: rows / (median(times.slice(1)) / 1000), epochMs: times.map((t) => Math.round(t)) };
}

function torch(m: GpuModel, rows: number): { samplesPerS: number; device: string } | { error: string } {
  const script = `
import json, sys, time
try:
    import torch
except Exception as e:
    print(json.dumps({"error": "no PyTorch: " + str(e)})); sys.exit(0)
dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
inputs, hidden, classes, batch, rows, epochs = ${m.inputs}, ${JSON.stringify(m.hidden)}, ${m.classes}, ${m.batch}, ${rows}, ${epochs}
layers, prev = [], inputs
for h in hidden:
    layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]; prev = h
layers += [torch.nn.Linear(prev, classes)]
model = torch.nn.Sequential(*layers).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
x = torch.randn(rows, inputs, device=dev); y = torch.randint(0, classes, (rows,), device=dev)
loss_fn = torch.nn.CrossEntropyLoss()
times = []
for epoch in range(epochs):
    if dev == "cuda": torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(0, rows, batch):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[i:i+batch]), y[i:i+batch]); loss.backward(); opt.step()
    if dev == "cuda": torch.cuda.synchronize()
    times.append(time.perf_counter() - t)
times = sorted(times[1:]); med = times[len(times)//2]
name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu (%d threads)" % torch.get_num_threads()
print(json.dumps({"samplesPerS": rows / med, "device": "PyTorch %s on %s" % (torch.__version__, name)}))
`;
  const result = spawnSync(values.python, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (result.error || result.status !== 0) return { error: `python: ${result.error?.message ?? result.stderr.trim().split('\n').pop()}` };
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as { samplesPerS: number; device: string } | { error: string };
}

/** Kernels of one training step, each way. */
async function kernelsPerStep(tf: typeof TF, run: () => Promise<void>): Promise<number> {
  return (await tf.profile(run)).kernels.length;
}

/**
 * The WebGPU GEMM against tfjs's matMul: every tile and product form on ragged shapes (max |difference|,
 * which must stay at fp32 rounding), then the time of an S×S×S product of each form (median of 5 runs of
 * 4 products, each run ended by reading one value back).
 */
async function gemmCheck(tf: typeof TF, size: number): Promise<Record<string, unknown>> {
  registerWebGpuGemm(tf);
  const out: Record<string, unknown> = {};
  const forms = [
    ['A·B', false, false],
    ['Aᵀ·B', true, false],
    ['A·Bᵀ', false, true],
  ] as const;
  let worst = 0;
  for (const [m, n, k] of [
    [1000, 1030, 521],
    [67, 45, 4099],
  ] as const) {
    for (const name of Object.keys(GEMM_TILES) as GemmTileName[]) {
      for (const [form, ta, tb] of forms) {
        const diff = tf.tidy(() => {
          const a = tf.randomNormal<TF.Rank.R2>(ta ? [k, m] : [m, k], 0, 1, 'float32', 3);
          const b = tf.randomNormal<TF.Rank.R2>(tb ? [n, k] : [k, n], 0, 1, 'float32', 4);
          const bias = tf.randomNormal<TF.Rank.R1>([n], 0, 1, 'float32', 5);
          const mine = webGpuGemm(tf, a, b, ta, tb, GEMM_TILES[name], { bias, relu: true });
          const theirs = tf.relu(tf.add(tf.matMul(a, b, ta, tb), bias));
          // Relative to √k, the size of a sum of k products of unit normals.
          return tf.div(tf.max(tf.abs(tf.sub(mine, theirs))), Math.sqrt(k));
        });
        const d = (await diff.data())[0]!;
        diff.dispose();
        worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
        if (!(d < 1e-4)) console.log(`GEMM ${name} ${form} ${m}×${n}×${k}: WRONG (max |difference|/√k ${d})`);
      }
    }
  }
  out['gemm_max_error_over_sqrt_k'] = worst;
  console.log(`GEMM correctness against tfjs matMul (3 tiles × 3 forms × 2 ragged shapes, + bias, relu): max |difference|/√k ${worst.toExponential(2)} ${worst < 1e-4 ? 'OK' : 'WRONG'}`);
  const a = tf.randomNormal<TF.Rank.R2>([size, size], 0, 1, 'float32', 6);
  const b = tf.randomNormal<TF.Rank.R2>([size, size], 0, 1, 'float32', 7);
  const flops = 2 * size ** 3;
  const lines: string[] = [];
  for (const [form, ta, tb] of forms) {
    const cells: string[] = [];
    for (const name of ['tfjs', ...Object.keys(GEMM_TILES)] as Array<'tfjs' | GemmTileName>) {
      const product = (): TF.Tensor2D => (name === 'tfjs' ? tf.matMul(a, b, ta, tb) : webGpuGemm(tf, a, b, ta, tb, GEMM_TILES[name]));
      const times: number[] = [];
      for (let run = 0; run < 6; run++) {
        const t = performance.now();
        let last: TF.Tensor2D | null = null;
        for (let i = 0; i < 4; i++) {
          last?.dispose();
          last = product();
        }
        const one = last!.slice([0, 0], [1, 1]);
        await one.data();
        tf.dispose([one, last!]);
        if (run > 0) times.push((performance.now() - t) / 4);
      }
      const tflops = flops / (median(times) / 1000) / 1e12;
      out[`gemm_${form}_${name}_tflops`] = tflops;
      cells.push(`${name} ${tflops.toPrecision(3)}`);
    }
    lines.push(`GEMM ${size}³ ${form} TFLOP/s: ${cells.join('  ')}`);
  }
  tf.dispose([a, b]);
  for (const line of lines) console.log(line);
  return out;
}

async function main(): Promise<void> {
  const { tf, device, version } = await selectBackend(backendName);
  console.log(`backend ${backendName}: ${device}; ${version}`);
  const results: Array<Record<string, unknown>> = [];
  const gemm = backendName === 'webgpu' ? await gemmCheck(tf, Number(values['gemm-size'])) : {};
  const gemms = values.gemms.split(',').filter(Boolean) as GemmChoice[];
  for (const g of gemms) gemmChoiceFromEnv({ EXPMAN_WEBGPU_GEMM: g }); // refuses an unknown name before any training
  const variants: Array<{ key: string; flags: string; gemm: GemmChoice }> = [
    ...gemms.map((g) => ({ key: g === 'auto' ? 'fused' : `fused[gemm=${g}]`, flags: '', gemm: g })),
    ...values['fused-flags'].split(';').filter(Boolean).map((flags) => ({ key: `fused[${flags}]`, flags, gemm: 'auto' as const })),
  ];
  for (const key of values.models.split(',')) {
    const m = MODELS[key];
    if (!m) throw new Error(`unknown model ${key}`);
    const rows = Math.max(m.batch * 2, Math.round((m.rows * Number(values['rows-scale'])) / m.batch) * m.batch);
    const config = resolveConfig([parseOverrides([`model.hidden_units=[${m.hidden.join(',')}]`, `training.batch_size=${m.batch}`])]).values;
    const x = tf.randomNormal<TF.Rank.R2>([rows, m.inputs], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.randomUniform<TF.Rank.R1>([rows], 0, m.classes, 'int32', 2), m.classes).toFloat() as TF.Tensor2D;
    const row: Record<string, unknown> = { model: m.name, rows, backend: backendName, device };
    try {
      const model = buildModel(tf, config, { inputs: m.inputs, classes: m.classes });
      const fit = await timeEpochs(rows, async () => void (await model.fit(x, y, { epochs: 1, batchSize: m.batch, shuffle: false, verbose: 0 })));
      const xb = x.slice([0, 0], [m.batch, m.inputs]);
      const yb = y.slice([0, 0], [m.batch, m.classes]);
      row['fit_kernels_per_step'] = await kernelsPerStep(tf, async () => void (await model.trainOnBatch(xb, yb)));
      tf.dispose([xb, yb]);
      model.optimizer.dispose();
      model.dispose();
      Object.assign(row, { fit_samples_per_s: fit.samplesPerS, fit_epoch_ms: fit.epochMs });
      console.log(`${m.name}: model.fit ${fit.samplesPerS.toFixed(0)} samples/s (epochs ${fit.epochMs.join(' ')} ms)`);
    } catch (error) {
      row['fit_error'] = (error as Error).message;
      console.log(`${m.name}: model.fit failed: ${(error as Error).message}`);
    }
    for (const { key, flags, gemm: gemmChoice } of variants) {
      const saved = new Map<string, unknown>();
      try {
        for (const flag of flags.split(',').filter(Boolean)) {
          const [name, value] = flag.split('=') as [string, string];
          saved.set(name, tf.env().get(name));
          tf.env().set(name, value === 'true' ? true : value === 'false' ? false : Number(value));
        }
        const model = buildModel(tf, config, { inputs: m.inputs, classes: m.classes });
        const trainer = new FusedTrainer(tf, model, config, 'classification', backendName, { gemm: gemmChoice });
        const batch = (start: number, size: number): [TF.Tensor2D, TF.Tensor2D] => [x.slice([start, 0], [size, m.inputs]), y.slice([start, 0], [size, m.classes])];
        let last = NaN;
        const fused = await timeEpochs(rows, async () => {
          last = (await trainer.epoch(batch, rows, m.batch)).loss;
        });
        if (key === 'fused') {
          const [xb, yb] = batch(0, m.batch);
          row['fused_kernels_per_step'] = await kernelsPerStep(tf, async () => {
            const { loss, correct } = trainer.step(xb, yb);
            await loss.data();
            tf.dispose([loss, ...(correct ? [correct] : [])]);
          });
          tf.dispose([xb, yb]);
        }
        trainer.dispose();
        model.optimizer.dispose();
        model.dispose();
        Object.assign(row, { [`${key}_samples_per_s`]: fused.samplesPerS, [`${key}_epoch_ms`]: fused.epochMs, [`${key}_last_loss`]: last });
        console.log(`${m.name}: ${key} ${fused.samplesPerS.toFixed(0)} samples/s (epochs ${fused.epochMs.join(' ')} ms; loss ${last.toFixed(4)})`);
      } catch (error) {
        row[`${key}_error`] = (error as Error).stack ?? (error as Error).message;
        console.log(`${m.name}: ${key} failed: ${(error as Error).stack ?? (error as Error).message}`);
      } finally {
        for (const [name, value] of saved) tf.env().set(name, value as number);
      }
    }
    tf.dispose([x, y]);
    const t = torch(m, rows);
    if ('error' in t) console.log(`PyTorch: ${t.error}`);
    else {
      Object.assign(row, { torch_samples_per_s: t.samplesPerS, torch_device: t.device });
      console.log(`${m.name}: ${t.device} ${t.samplesPerS.toFixed(0)} samples/s`);
    }
    const f = flopsPerSample(m);
    for (const k of Object.keys(row).filter((k) => k.endsWith('_samples_per_s'))) {
      const name = k.slice(0, -'_samples_per_s'.length);
      row[`${name}_gflops`] = ((row[k] as number) * f) / 1e9;
      if (typeof row['torch_samples_per_s'] === 'number' && name !== 'torch') row[`${name}_over_torch`] = (row[k] as number) / (row['torch_samples_per_s']);
    }
    row['target_fused_over_torch'] = m.target;
    results.push(row);
  }
  const fmt = (v: unknown, d = 0): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
  const header = ['model', 'fit samples/s', 'fused samples/s', 'PyTorch samples/s', 'fit/PyTorch', 'fused/PyTorch', 'target', 'fused GFLOP/s', 'kernels/step fit→fused'];
  const table = results.map((r) => [
    String(r['model']),
    fmt(r['fit_samples_per_s']),
    fmt(r['fused_samples_per_s']),
    fmt(r['torch_samples_per_s']),
    fmt(r['fit_over_torch'], 3),
    fmt(r['fused_over_torch'], 3),
    `≥ ${String(r['target_fused_over_torch'])}`,
    fmt(r['fused_gflops'], 1),
    `${fmt(r['fit_kernels_per_step'])}→${fmt(r['fused_kernels_per_step'])}`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  console.log(`\n${[header, ...table].map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n')}`);
  for (const r of results) {
    for (const k of Object.keys(r).filter((k) => k.startsWith('fused[') && k.endsWith('_over_torch'))) console.log(`${String(r['model'])}: ${k.slice(0, -'_over_torch'.length)} ${fmt(r[k], 3)} of PyTorch`);
  }
  const torchDevice = results.find((r) => typeof r['torch_device'] === 'string')?.['torch_device'] as string | undefined;
  console.log(`devices: ${device}; ${torchDevice ?? 'PyTorch: none'}; epochs ${epochs}, median of 2..${epochs}`);
  if (values.out) writeFileSync(values.out, JSON.stringify({ date: new Date().toISOString(), epochs, gemm, results }, null, 2));
}

await main();
