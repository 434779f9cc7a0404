// The MLP-per-backend benchmark (issue: training backends): bundles bench/mlp-backends.ts and runs it in
// a child process — every available backend, bare fit vs the app's loop, beside PyTorch when present.
// On a 2-core CPU machine the 256→4096→4096 model is skipped (it would take an hour on wasm); on a GPU
// machine run scripts/gpu-check/ (see bench/RESULTS.md for figures from an NVIDIA H200).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { OUTPUT_DIR, ROOT, bundle, findPython } from './lib.mjs';

export async function run({ quick = false } = {}) {
  const entry = await bundle('mlp-backends');
  const torch = findPython('torch');
  const common = ['--out', join(OUTPUT_DIR, 'mlp-backends.json'), ...(torch ? ['--python', torch.python] : [])];
  // Iris on every backend; the 256→1024→1024 MLP on wasm only and on fewer rows (CPU-sized).
  const runs = quick
    ? [['--models', 'iris', '--epochs', '3', '--quick']]
    : [
        ['--models', 'iris', '--epochs', '6'],
        ['--models', 'small', '--backends', 'webgpu,tensorflow-gpu,tensorflow,wasm', '--rows', '4096', '--epochs', '3'],
      ];
  for (const extra of runs) {
    const code = await new Promise((resolve) => spawn(process.execPath, [entry, ...extra, ...common], { cwd: ROOT, stdio: 'inherit' }).on('close', resolve));
    if (code !== 0) throw new Error(`mlp-backends exited with ${code}`);
  }
  // Reported, not judged: how close tfjs gets to PyTorch depends on the backend and machine.
  return { pass: null };
}
