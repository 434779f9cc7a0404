/**
 * Trains the same MLPs on every available tfjs backend — bare `model.fit` versus the app's training loop
 * (trainNewRun: seeded shuffle, callbacks, checkpoint, logs) — and, where Python with PyTorch is present,
 * the same model in PyTorch in the same run. Prints samples/s, GFLOP/s, app/bare and tfjs/PyTorch.
 *
 *   node bench/output/build/mlp-backends.mjs [--backends webgpu,wasm] [--models small,large,iris]
 *        [--epochs 4] [--rows N] [--quick] [--python python3] [--out FILE.json]
 *
 * Bundled by bench/mlp-backends.mjs (locally, packages external) or with tfjs inside for a GPU machine
 * that has no node_modules (scripts/gpu-check/prepare.sh).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseOverrides, resolveConfig } from '../src/core/config/resolve.js';
import { loadPreparedDataset } from '../src/core/datasets/load.js';
import { preprocess } from '../src/core/datasets/preprocess.js';
import { AUTO_ORDER, selectBackend, type ConcreteBackend } from '../src/core/training/backend.js';
import { buildModel } from '../src/core/training/model.js';
import { trainNewRun } from '../src/core/training/train.js';
import { workspace, type Workspace } from '../src/core/workspace.js';
import { writeSyntheticCsv } from './synthetic.js';

interface ModelSpec {
  name: string;
  inputs: number;
  hidden: number[];
  classes: number;
  batch: number;
  rows: number;
}

const MODELS: Record<string, ModelSpec> = {
  small: { name: '256→1024→1024→10, batch 512', inputs: 256, hidden: [1024, 1024], classes: 10, batch: 512, rows: 40_960 },
  large: { name: '256→4096→4096→10, batch 4096', inputs: 256, hidden: [4096, 4096], classes: 10, batch: 4096, rows: 81_920 },
  iris: { name: 'Iris 4→16→16→3, batch 16', inputs: 4, hidden: [16, 16], classes: 3, batch: 16, rows: 0 },
};

const { values } = parseArgs({
  options: {
    backends: { type: 'string' },
    models: { type: 'string', default: 'small,large,iris' },
    epochs: { type: 'string', default: '4' },
    quick: { type: 'boolean', default: false },
    python: { type: 'string', default: 'python3' },
    out: { type: 'string' },
    iris: { type: 'string' },
    rows: { type: 'string' },
  },
});
const epochs = Math.max(2, Number(values.epochs));
const quick = values.quick;

/** Multiply-adds of one forward pass per sample; training costs ≈ 3× forward (forward + 2× backward). */
function flopsPerSample(m: ModelSpec): number {
  const sizes = [m.inputs, ...m.hidden, m.classes];
  let macs = 0;
  for (let i = 0; i + 1 < sizes.length; i++) macs += sizes[i]! * sizes[i + 1]!;
  return 6 * macs;
}

async function prepare(ws: Workspace, key: string, m: ModelSpec): Promise<string> {
  const name = `mlp-${key}`;
  const external = join(ws.root, 'datasets', 'external');
  mkdirSync(external, { recursive: true });
  if (key === 'iris') {
    const iris = values.iris ?? join(process.cwd(), 'data', 'datasets', 'external', 'iris.csv');
    writeFileSync(join(external, `${name}.csv`), spawnSync('cat', [iris]).stdout);
  } else {
    const rows = values.rows ? Number(values.rows) : quick ? m.batch * 8 : m.rows;
    writeSyntheticCsv(join(external, `${name}.csv`), m, Math.min(m.rows, rows));
  }
  await preprocess(ws, { dataset: name, name, split: 0.9, separateSets: true, seed: 1 });
  return name;
}

const config = (dataset: string, m: ModelSpec, backend: ConcreteBackend) =>
  resolveConfig([
    parseOverrides([
      `data.dataset=${dataset}`,
      'data.standardize=false',
      `model.hidden_units=[${m.hidden.join(',')}]`,
      `training.batch_size=${m.batch}`,
      `training.epochs=${epochs}`,
      `training.backend=${backend}`,
      'training.early_stopping.enabled=false',
      `checkpoints.every=${epochs}`,
      'checkpoints.keep_last=1',
    ]),
  ]);

/** Median of per-epoch wall intervals after the first (warm-up) epoch. */
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bare(ws: Workspace, dataset: string, m: ModelSpec, backend: ConcreteBackend): Promise<{ samplesPerS: number; trainRows: number }> {
  const { tf } = await selectBackend(backend);
  const data = await loadPreparedDataset(ws, dataset);
  const nf = data.features.length;
  const x = tf.tensor2d(data.train.x, [data.train.rows, nf]);
  const y = tf.oneHot(tf.tensor1d(data.train.y, 'int32'), data.classes.length).toFloat();
  const model = buildModel(tf, config(dataset, m, backend).values, { inputs: nf, classes: data.classes.length });
  const ends: number[] = [];
  await model.fit(x, y, { epochs, batchSize: m.batch, shuffle: true, validationSplit: 0.2, verbose: 0, callbacks: { onEpochEnd: () => void ends.push(performance.now()) } });
  const intervals = ends.slice(1).map((t, i) => t - ends[i]!);
  const trainRows = Math.round(data.train.rows * 0.8);
  tf.dispose([x, y]);
  model.optimizer?.dispose();
  model.dispose();
  return { samplesPerS: trainRows / (median(intervals) / 1000), trainRows };
}

async function app(ws: Workspace, dataset: string, m: ModelSpec, backend: ConcreteBackend): Promise<{ samplesPerS: number; device: string }> {
  const ends: number[] = [];
  let rows = 0;
  let device = '';
  await trainNewRun(ws, {
    experiment: 'bench',
    config: config(dataset, m, backend),
    commandLine: ['bench'],
    onEvent: (e) => {
      if (e.event === 'run_started') [rows, device] = [e.train_rows, e.device];
      if (e.event === 'epoch_end') ends.push(performance.now());
    },
  });
  const intervals = ends.slice(1).map((t, i) => t - ends[i]!);
  return { samplesPerS: rows / (median(intervals) / 1000), device };
}

function torch(m: ModelSpec, rows: number): { samplesPerS: number; device: string } | { error: string } {
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
    perm = torch.randperm(rows, device=dev)
    for i in range(0, rows, batch):
        idx = perm[i:i+batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx]); loss.backward(); opt.step()
    if dev == "cuda": torch.cuda.synchronize()
    times.append(time.perf_counter() - t)
times = sorted(times[1:]); med = times[len(times)//2]
name = torch.cuda.get_device_name(0) if dev == "cuda" else "cpu (%d threads)" % torch.get_num_threads()
print(json.dumps({"samplesPerS": rows / med, "device": "PyTorch %s on %s" % (torch.__version__, name)}))
`;
  const result = spawnSync(values.python, ['-c', script], { encoding: 'utf8', timeout: 600_000 });
  if (result.error || result.status !== 0) return { error: `python: ${result.error?.message ?? result.stderr.trim().split('\n').pop()}` };
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as { samplesPerS: number; device: string } | { error: string };
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'expman-bench-mlp-'));
  const ws = workspace(root);
  const results: Array<Record<string, unknown>> = [];
  try {
    const requested = (values.backends?.split(',') ?? AUTO_ORDER) as ConcreteBackend[];
    const available: ConcreteBackend[] = [];
    for (const backend of requested) {
      try {
        const choice = await selectBackend(backend);
        available.push(backend);
        console.log(`backend ${backend}: ${choice.device}; ${choice.version}`);
      } catch (error) {
        console.log(`backend ${backend}: unavailable (${(error as Error).message})`);
      }
    }
    for (const key of values.models.split(',')) {
      const m = MODELS[key];
      if (!m) throw new Error(`unknown model ${key}`);
      const dataset = await prepare(ws, key, m);
      const flops = flopsPerSample(m);
      for (const backend of available) {
        if (backend === 'cpu' && key === 'large') continue; // hours on the pure-JS backend
        const b = await bare(ws, dataset, m, backend);
        const a = await app(ws, dataset, m, backend);
        results.push({ model: m.name, backend, device: a.device, train_rows: b.trainRows, bare_samples_per_s: b.samplesPerS, app_samples_per_s: a.samplesPerS, app_over_bare: a.samplesPerS / b.samplesPerS, app_gflops: (a.samplesPerS * flops) / 1e9 });
        console.log(`${m.name} on ${backend}: bare ${fmt(b.samplesPerS)} samples/s, app ${fmt(a.samplesPerS)} samples/s (${fmt(a.samplesPerS / b.samplesPerS, 3)})`);
      }
      const t = torch(m, Math.round((results.find((r) => r['model'] === m.name)?.['train_rows'] as number | undefined) ?? 1000));
      if ('error' in t) console.log(`PyTorch: ${t.error}`);
      for (const r of results.filter((r) => r['model'] === m.name)) {
        if ('samplesPerS' in t) Object.assign(r, { torch_samples_per_s: t.samplesPerS, torch_device: t.device, torch_gflops: (t.samplesPerS * flops) / 1e9, tfjs_over_torch: (r['app_samples_per_s'] as number) / t.samplesPerS });
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const header = ['model', 'backend', 'bare samples/s', 'app samples/s', 'app/bare', 'app GFLOP/s', 'PyTorch samples/s', 'PyTorch GFLOP/s', 'tfjs/PyTorch'];
  const rows = results.map((r) => [
    String(r['model']),
    String(r['backend']),
    fmt(r['bare_samples_per_s'] as number),
    fmt(r['app_samples_per_s'] as number),
    fmt(r['app_over_bare'] as number, 3),
    fmt(r['app_gflops'] as number, 1),
    fmt(r['torch_samples_per_s'] as number | undefined),
    fmt(r['torch_gflops'] as number | undefined, 1),
    fmt(r['tfjs_over_torch'] as number | undefined, 4),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  console.log(`\n${[header, ...rows].map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n')}`);
  const devices = [...new Set(results.flatMap((r) => [r['device'], r['torch_device']]).filter(Boolean))];
  console.log(`\ndevices: ${devices.join('; ')}\nGFLOP/s = samples/s × 6 × multiply-adds per sample (forward + backward); epochs: ${epochs}, median of epochs 2..${epochs}`);
  if (values.out) writeFileSync(values.out, JSON.stringify({ date: new Date().toISOString(), epochs, results }, null, 2));
}

await main();
