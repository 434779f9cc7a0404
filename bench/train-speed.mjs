// Benchmark `train-speed` (issue 17): the built-in trainer against PyTorch on the same machine. The same
// model, data sizes, batch and optimiser (Adam, lr 0.01) run in the app's real training path
// (bench/train-speed.ts → trainNewRun, as `expman train` does) with the fused step, with tfjs's
// model.fit (training.fused_step = false: the path before), and in PyTorch (Debian python3-torch) with
// torch.set_num_threads = the cores of this machine and with 1 thread (tfjs's wasm backend computes on
// one core), each in a fresh process, interleaved round by round so that load from other work hits all
// of them alike. Target: fused ≥ 0.8 × PyTorch (the faster of its two thread counts) on the 4→16→16→3
// MLP; the wider MLP and the digits CNN (a model module: model.fit) are reported.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { BENCH_DIR, ROOT, bundle, findPython, fmt, median, printTable, writeResult } from './lib.mjs';

export const TARGETS = { small_fused_over_torch_min: 0.8 };

/** Runs a command and returns the JSON lines it printed (throws with stderr's tail on failure). */
function jsonLines(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${err.slice(-2000)}`));
      resolve(out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
    });
  });
}

export async function run({ quick = false, repeats } = {}) {
  const entry = await bundle('train-speed');
  const torch = findPython('torch');
  const threads = cpus().length;
  const rounds = repeats ?? (quick ? 1 : 3);
  const epochs = quick ? 2 : 4;
  // TRAIN_SPEED_MODELS=small,wide: a subset (for iterating; the default is all three).
  const models = process.env.TRAIN_SPEED_MODELS?.split(',').filter(Boolean) ?? (quick ? ['small'] : ['small', 'wide', 'cnn']);
  const result = { date: new Date().toISOString(), threads, rounds, epochs, torch: torch ? torch.version : null, models: {}, profile: [] };
  if (!torch) console.log('train-speed: PyTorch skipped: no python3 with torch found (install python3-torch, or set PYTHON)');

  // Where a step's time goes: kernels and allocations of one step, each way (small MLP, wasm).
  for (const line of await jsonLines(process.execPath, [entry, '--profile', '--model', 'small'])) {
    result.profile.push(line);
    const top = Object.entries(line.by_kernel).slice(0, 8).map(([k, n]) => `${k}×${n}`).join(' ');
    const host = line.backend_kernel_calls === undefined ? '' : ` (inside it: ${line.backend_kernel_calls} backend kernel calls, ${line.backend_buffers} buffers / ${line.backend_bytes} bytes, freed in the step)`;
    console.log(`  profile: ${line.step}: ${line.kernels} engine kernels, ${line.output_tensors} tensors / ${line.bytes_allocated} bytes allocated${host}, ${line.ms_per_step.toFixed(3)} ms per step${top ? `; ${top} …` : ''}`);
  }

  let pass = null;
  for (const key of models) {
    const quickRows = { small: 31_250, wide: 6_250, cnn: 6_250 }[key];
    const rows = quick ? ['--rows', String(quickRows)] : [];
    // The CNN is a model module: it trains with model.fit whatever fused_step says, so it runs once.
    const variants = key === 'cnn' ? { fit: 'false' } : { fit: 'false', fused: 'true' };
    const samples = { fit: [], fused: [], torch: [], torch1: [] };
    const perRound = [];
    let info = null;
    for (let round = 1; round <= rounds; round++) {
      const got = {};
      for (const [variant, fused] of Object.entries(variants)) {
        const lines = await jsonLines(process.execPath, [entry, '--model', key, '--fused', fused, '--epochs', String(epochs), ...rows]);
        const measured = lines.slice(1); // epoch 1 warms up (wasm compilation, first allocations)
        info = lines[0];
        samples[variant].push(...measured.map((l) => l.samples_per_s));
        got[variant] = median(measured.map((l) => l.samples_per_s));
      }
      for (const [variant, n] of torch ? Object.entries({ torch: threads, torch1: 1 }) : []) {
        if (variant === 'torch1' && threads === 1) continue;
        const lines = await jsonLines(torch.python, [join(BENCH_DIR, 'train_speed_torch.py'), key, String(info.train_rows), String(info.validation_rows), String(epochs), String(n), '128']);
        const error = lines.find((l) => l.event === 'error');
        if (error) throw new Error(error.error);
        const measured = lines.slice(1);
        if (variant === 'torch') result.torch_device = measured[0].device;
        samples[variant].push(...measured.map((l) => l.samples_per_s));
        got[variant] = median(measured.map((l) => l.samples_per_s));
      }
      // The reference is the faster PyTorch of the round (all cores or one).
      if (got.torch) got.torch_best = Math.max(got.torch, got.torch1 ?? 0);
      perRound.push(got);
      console.log(`  ${key} round ${round}/${rounds}: ${Object.entries(got).map(([k, v]) => `${k} ${fmt.int(v)}`).join(', ')} samples/s`);
    }
    const med = Object.fromEntries(Object.entries(samples).filter(([, v]) => v.length).map(([k, v]) => [k, median(v)]));
    const best = med.fused ?? med.fit;
    // The faster of PyTorch's two thread counts is the reference.
    if (med.torch) med.torch_best = Math.max(med.torch, med.torch1 ?? 0);
    result.models[key] = {
      train_rows: info.train_rows,
      validation_rows: info.validation_rows,
      device: info.device,
      samples_per_s: med,
      per_round: perRound,
      fused_over_fit: med.fused ? med.fused / med.fit : null,
      tfjs_over_torch: med.torch ? best / med.torch_best : null,
      fit_over_torch: med.torch ? med.fit / med.torch_best : null,
      per_round_tfjs_over_torch: perRound.map((r) => (r.torch ? (r.fused ?? r.fit) / r.torch_best : null)),
    };
    if (key === 'small' && med.torch) pass = med.fused / med.torch_best >= TARGETS.small_fused_over_torch_min;
  }

  const rowsOut = Object.entries(result.models).map(([key, r]) => [
    `${key}: ${({ small: '4→16→16→3', wide: '4→256→256→3', cnn: 'digits CNN (module)' })[key]}`,
    fmt.int(r.samples_per_s.fit),
    r.samples_per_s.fused ? fmt.int(r.samples_per_s.fused) : '-',
    r.samples_per_s.torch ? fmt.int(r.samples_per_s.torch) : 'skipped',
    r.samples_per_s.torch1 ? fmt.int(r.samples_per_s.torch1) : '-',
    r.fused_over_fit ? `${r.fused_over_fit.toFixed(2)}x` : '-',
    r.fit_over_torch ? `${r.fit_over_torch.toFixed(2)}x` : '-',
    r.tfjs_over_torch ? `${r.tfjs_over_torch.toFixed(2)}x` : '-',
    r.per_round_tfjs_over_torch.map((v) => (v ? v.toFixed(2) : '-')).join(' '),
  ]);
  printTable(
    `train-speed — app training path (trainNewRun) on wasm vs PyTorch ${torch?.version ?? '(skipped)'} cpu; batch 128, Adam; median samples/s of epochs 2..${epochs} over ${rounds} interleaved round(s)`,
    ['model', 'model.fit', 'fused', `PyTorch ${threads} thr`, 'PyTorch 1 thr', 'fused/fit', 'fit/PyTorch', 'expman/PyTorch', 'per round'],
    rowsOut,
    [
      `device: ${Object.values(result.models)[0]?.device}; ${result.torch_device ?? 'PyTorch skipped'}`,
      'samples/s = training rows / the epoch time (seeded shuffle, every batch, a validation pass), for both sides.',
      'expman/PyTorch: the fused step where the model has it (the built-in network), else model.fit, over the faster PyTorch (all cores or 1 thread); per round: the same ratio in each round.',
      pass === null ? 'target fused ≥ 0.8x PyTorch (small MLP): not judged (no PyTorch)' : `target fused ≥ 0.8x PyTorch (small MLP): ${pass ? 'PASS' : 'MISS'} (${result.models.small.tfjs_over_torch.toFixed(2)}x)`,
    ],
  );
  await writeResult('train-speed', { ...result, targets: TARGETS, pass });
  return { pass };
}
