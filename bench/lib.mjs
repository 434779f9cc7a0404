// Shared helpers of the benchmarks: paths, child processes with wall time and peak RSS, statistics,
// the Iris-like data generator, bundling a TypeScript entry, table printing and the JSON result files.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');
export const OUTPUT_DIR = join(BENCH_DIR, 'output');
export const EXPMAN = join(ROOT, 'bin', 'expman.mjs');
/**
 * A second checkout to measure against in the same run (`EXPMAN_BENCH_BASELINE=/path`, e.g. main's tree from
 * `git archive` with node_modules linked and `npm run build` done): the UI benches that support it drive
 * both, interleaved, in one browser. Undefined when not set.
 */
export const BASELINE_ROOT = process.env.EXPMAN_BENCH_BASELINE || undefined;

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-v', 'true']).status === 0;
const RSS_MARK = 'BENCH_MAX_RSS_KB=';
const RSS_REPORTER = join(BENCH_DIR, 'rss-reporter.mjs');

/** How peak memory is measured in this run (shown under the tables). */
export const rssMethod = hasGnuTime ? '/usr/bin/time -v (Maximum resident set size)' : 'getrusage maxRSS reported by the child';

/**
 * Runs a command to completion in a fresh process and returns its wall time and peak RSS.
 * `kind` is 'node' (command is a node script: argv after `node`) or 'python' (`args` after the
 * interpreter, whose script prints `BENCH_MAX_RSS_KB=` itself) or 'other'.
 * Throws, with the tail of stderr, when the command fails.
 */
export async function measureProcess(command, args, { kind = 'other', env, cwd = ROOT, onStdoutLine } = {}) {
  let file = command;
  let argv = args;
  if (kind === 'node' && !hasGnuTime) argv = ['--import', RSS_REPORTER, ...args];
  if (hasGnuTime) {
    argv = ['-v', command, ...argv];
    file = GNU_TIME;
  }
  const started = performance.now();
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    if (!onStdoutLine) return;
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onStdoutLine(pending.slice(0, nl), performance.now() - started);
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallMs = performance.now() - started;
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-3000)}`);
  }
  return { wallMs, peakMiB: peakRssKiB(stderr) / 1024, stdout, stderr };
}

function peakRssKiB(stderr) {
  const gnu = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (gnu) return Number(gnu[1]);
  const own = new RegExp(`${RSS_MARK}(\\d+)`).exec(stderr);
  if (own) return Number(own[1]);
  return NaN;
}

/** A python3 that can import `module` ($PYTHON first), or null. */
export function findPython(module) {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3', 'python'].filter(Boolean);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// statistics

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of each numeric field over a list of records with the same fields. */
export function medians(records) {
  const out = {};
  for (const key of Object.keys(records[0])) {
    if (typeof records[0][key] === 'number') out[key] = median(records.map((r) => r[key]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// data

/** sfc32, seeded: reproducible data for every run of the benchmark. */
export function rng(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

// Per-class means and standard deviations close to Fisher's Iris data.
const IRIS_CLASSES = [
  { name: 'setosa', mean: [5.0, 3.4, 1.5, 0.2], std: [0.35, 0.38, 0.17, 0.1] },
  { name: 'versicolor', mean: [5.9, 2.8, 4.3, 1.3], std: [0.52, 0.31, 0.47, 0.2] },
  { name: 'virginica', mean: [6.6, 3.0, 5.6, 2.0], std: [0.64, 0.32, 0.55, 0.27] },
];
export const IRIS_HEADER = 'sepal_length,sepal_width,petal_length,petal_width,species';

/**
 * Returns the path of an Iris-like CSV with `rows` data rows (4 one-decimal floats, 3 balanced classes),
 * generated once and cached in bench/output/data/.
 */
export async function irisCsv(rows) {
  const file = join(OUTPUT_DIR, 'data', `iris-${rows}.csv`);
  if (existsSync(file)) return file;
  await fs.mkdir(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const random = rng(rows);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  out.write(`${IRIS_HEADER}\n`);
  let chunk = '';
  for (let r = 0; r < rows; r++) {
    const cls = IRIS_CLASSES[Math.floor(random() * 3)];
    for (let f = 0; f < 4; f++) chunk += `${Math.max(0.1, cls.mean[f] + cls.std[f] * gauss()).toFixed(1)},`;
    chunk += `${cls.name}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      chunk = '';
    }
  }
  await new Promise((resolve, reject) => out.end(chunk, (error) => (error ? reject(error) : resolve())));
  await fs.rename(partial, file);
  return file;
}

/** A fresh temporary data folder with `datasets/external/<name>.csv` copied from `csv`. */
export async function dataFolder(prefix, datasets) {
  const root = await fs.mkdtemp(join(tmpdir(), `expman-bench-${prefix}-`));
  await fs.mkdir(join(root, 'datasets', 'external'), { recursive: true });
  for (const [name, csv] of Object.entries(datasets)) await fs.copyFile(csv, join(root, 'datasets', 'external', `${name}.csv`));
  return root;
}

/** Runs the real `expman` CLI (not timed) and returns its stdout; throws on failure. */
export function expman(args) {
  const result = spawnSync(process.execPath, [EXPMAN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`expman ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------
// bundling TypeScript entries of the benchmarks (they import the core from src/)

/** Bundles bench/<entry>.ts to bench/output/build/<entry>.mjs, dependencies external, and returns its path. */
export async function bundle(entry) {
  const { build } = await import('esbuild');
  const outfile = join(OUTPUT_DIR, 'build', `${entry}.mjs`);
  await build({
    entryPoints: [join(BENCH_DIR, `${entry}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

// ---------------------------------------------------------------------------------------------------
// output

export function machine() {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpu_model: cpu[0]?.model ?? 'unknown',
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Prints rows (arrays of cells) under a title as an aligned text table; numbers are right-aligned. */
export function printTable(title, header, rows, notes = []) {
  const cells = [header, ...rows].map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))));
  const width = header.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const numeric = header.map((_, c) => rows.every((row) => typeof row[c] === 'number' || /^[-+]?[\d.,]+(\s?[x%×]|)$/.test(String(row[c] ?? ''))));
  const line = (row) => row.map((cell, c) => (numeric[c] ? cell.padStart(width[c]) : cell.padEnd(width[c]))).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells.slice(1)) console.log(line(row));
  for (const note of notes) console.log(note);
}

export const fmt = {
  s: (ms) => (ms / 1000).toFixed(2),
  mib: (mib) => (Number.isFinite(mib) ? mib.toFixed(0) : 'n/a'),
  ratio: (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a'),
  int: (n) => Math.round(n).toLocaleString('en-US'),
  verdict: (ok) => (ok ? 'PASS' : 'MISS'),
};

/** Writes bench/output/<name>.json. */
export async function writeResult(name, result) {
  await fs.mkdir(OUTPUT_DIR, { recursive: true });
  const file = join(OUTPUT_DIR, `${name}.json`);
  await fs.writeFile(file, `${JSON.stringify({ bench: name, date: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`);
  return file;
}

/**
 * Builds a bench page (bench/ui/<html> and its TSX entry) with vite into `outDir`; returns `outDir`.
 * `root`: the checkout whose bench/ui and src/ are built (default this one; a baseline tree for a before/after).
 */
export async function buildBenchPage(html, outDir, root = ROOT) {
  const { build } = await import('vite');
  const { default: react } = await import('@vitejs/plugin-react');
  await build({
    configFile: false,
    root: join(root, 'bench', 'ui'),
    base: './',
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, rolldownOptions: { input: join(root, 'bench', 'ui', html) } },
  });
  return outDir;
}
