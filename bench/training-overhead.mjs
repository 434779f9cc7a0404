// Benchmark `training-overhead`: throughput of the app's training loop (trainNewRun: per-epoch seeded
// shuffle via tf.gather, callbacks, metrics.jsonl, run.log, status.json, checkpoints, best model) against
// a bare `model.fit` of the same model on the same backend and data, each in a fresh process
// (bench/train-entry.ts, bundled on the fly). Target: app samples/s ≥ 0.95 × bare, on every backend.
import { promises as fs } from 'node:fs';
import { bundle, dataFolder, expman, fmt, irisCsv, measureProcess, median, printTable, rssMethod, writeResult } from './lib.mjs';

export const TARGETS = { throughput_ratio_min: 0.95 };

const VARIANTS = {
  fit: 'bare: one model.fit(epochs=E, shuffle)',
  loop: '+ per-epoch gather + fit(epochs=1)',
  'loop-cb': '+ async onBatchEnd callback',
  app: 'app: trainNewRun',
};

/** Sizes: raw CSV rows per backend (64 % of them are trained on: 0.8 split, then 0.2 held out for validation). */
function plan({ quick, diagnose }) {
  return {
    epochs: quick ? 3 : 6,
    batchSize: 128,
    variants: diagnose ? ['fit', 'loop', 'loop-cb', 'app'] : ['fit', 'app'],
    components: !quick || diagnose,
    backends: { wasm: quick ? 25_000 : 156_250, cpu: quick ? 12_500 : 62_500 },
  };
}

/** The JSON lines a child printed. */
function lines(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Per-epoch figures of one child process, epoch 1 (warm-up) dropped. */
function measuredEpochs(stdout) {
  const events = lines(stdout);
  const start = events.find((l) => l.event === 'start');
  const epochs = events.filter((l) => l.event === 'epoch_end').sort((a, b) => a.epoch - b.epoch);
  if (!start || epochs.length < 2) throw new Error(`training-overhead: the child printed no usable epochs:\n${stdout.slice(-2000)}`);
  return {
    trainRows: start.train_rows,
    epochs: epochs.slice(1).map((e, i) => ({ epoch: e.epoch, duration_ms: e.duration_ms, interval_ms: e.end_ms - epochs[i].end_ms, cpu_ms: e.cpu_ms - epochs[i].cpu_ms })),
  };
}

/** Medians over the measured epochs of all rounds of one variant. */
function summarize(label, runs) {
  const epochs = runs.flatMap((r) => r.epochs);
  const rows = runs[0].trainRows;
  const durations = epochs.map((e) => e.duration_ms);
  const epochMs = median(durations);
  const intervalMs = median(epochs.map((e) => e.interval_ms));
  return {
    label,
    train_rows: rows,
    measured_epochs: epochs.length,
    epoch_ms: epochMs,
    epoch_ms_min: Math.min(...durations),
    epoch_ms_max: Math.max(...durations),
    interval_ms: intervalMs,
    cpu_ms: median(epochs.map((e) => e.cpu_ms)),
    samples_per_s: (rows / epochMs) * 1000,
    interval_samples_per_s: (rows / intervalMs) * 1000,
    wall_ms: median(runs.map((r) => r.wallMs)),
    peak_mib: median(runs.map((r) => r.peakMiB)),
    runs,
  };
}

/** Runs the variants (interleaved rounds) on one backend, then the components child; prints its tables. */
async function measureBackend(backend, { entry, data, epochs, batchSize, variants, rounds, components, quick }) {
  const settings = [`data.dataset=train-${backend}`, `training.backend=${backend}`, `training.epochs=${epochs}`, `training.batch_size=${batchSize}`, 'training.early_stopping.enabled=false'];
  const child = (variant, round, options) =>
    measureProcess(process.execPath, [entry, '--data', data, '--variant', variant, '--model', `${variant}-${backend}-${round}`, ...settings.flatMap((s) => ['--set', s])], { kind: 'node', ...options });

  // Rounds interleave the variants so that drift of a shared machine affects each alike.
  const runs = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const { stdout, wallMs, peakMiB } = await child(variant, round);
      const measured = { ...measuredEpochs(stdout), wallMs, peakMiB };
      runs[variant].push(measured);
      const ms = measured.epochs.map((e) => e.duration_ms.toFixed(0)).join(' ');
      console.log(`  ${backend} ${variant} round ${round + 1}/${rounds}: epochs 2–${epochs} ${ms} ms; process ${fmt.s(wallMs)} s`);
    }
  }
  const byVariant = Object.fromEntries(variants.map((v) => [v, summarize(VARIANTS[v], runs[v])]));
  const bare = byVariant.fit;
  const ratios = Object.fromEntries(
    variants.map((v) => {
      const r = byVariant[v];
      return [v, { samples_per_s: r.samples_per_s / bare.samples_per_s, interval_samples_per_s: r.interval_samples_per_s / bare.interval_samples_per_s, wall: r.wall_ms / bare.wall_ms }];
    }),
  );
  const pass = {
    epoch_durations: ratios.app.samples_per_s >= TARGETS.throughput_ratio_min,
    epoch_to_epoch: ratios.app.interval_samples_per_s >= TARGETS.throughput_ratio_min,
  };
  printTable(
    `training-overhead — ${backend} backend: ${fmt.int(bare.train_rows)} training rows, batch ${batchSize}, ${bare.measured_epochs} measured epochs per variant (medians; ratios vs bare, same run)`,
    ['variant', 'epoch ms', 'min', 'max', 'samples/s', 'ratio', 'epoch-to-epoch ms', 'samples/s', 'ratio', 'process s', 'peak MiB'],
    variants.map((v) => {
      const r = byVariant[v];
      return [
        r.label,
        r.epoch_ms.toFixed(0),
        r.epoch_ms_min.toFixed(0),
        r.epoch_ms_max.toFixed(0),
        fmt.int(r.samples_per_s),
        fmt.ratio(ratios[v].samples_per_s),
        r.interval_ms.toFixed(0),
        fmt.int(r.interval_samples_per_s),
        fmt.ratio(ratios[v].interval_samples_per_s),
        fmt.s(r.wall_ms),
        fmt.mib(r.peak_mib),
      ];
    }),
    [
      `target app/bare ≥ ${TARGETS.throughput_ratio_min}: epoch durations ${fmt.verdict(pass.epoch_durations)} (${fmt.ratio(ratios.app.samples_per_s)});` +
        ` epoch-to-epoch, saving included ${fmt.verdict(pass.epoch_to_epoch)} (${fmt.ratio(ratios.app.interval_samples_per_s)})`,
    ],
  );

  let parts;
  if (components) {
    const { stdout } = await child('components', 'components', { env: { BENCH_COMPONENT_REPS: quick ? '2' : '5' } });
    parts = lines(stdout).filter((l) => l.event === 'component');
    const reference = parts[0].per_epoch_ms;
    const overhead = parts.slice(1).filter((p) => !p.alternative).reduce((sum, p) => sum + p.per_epoch_ms, 0);
    const share = (ms) => `${((100 * ms) / reference).toFixed(1)} %`;
    printTable(
      `training-overhead — ${backend}: what the app adds per epoch, timed piece by piece in one process (fastest of several tries)`,
      ['piece', 'ms', 'ms per epoch', '% of epoch', 'how'],
      [
        ...parts.map((p) => [p.alternative ? `  alternative: ${p.name}` : p.name, p.ms.toFixed(2), p.per_epoch_ms.toFixed(1), share(p.per_epoch_ms), p.note]),
        ["sum of the app's pieces", '', overhead.toFixed(1), share(overhead), `predicted app/bare throughput ratio ${fmt.ratio(reference / (reference + overhead))}`],
      ],
    );
  }
  return { train_rows: bare.train_rows, variants: byVariant, ratios, pass, components: parts };
}

export async function run({ quick = false, diagnose = false, repeats } = {}) {
  const { epochs, batchSize, variants, components, backends } = plan({ quick, diagnose });
  const rounds = repeats ?? (quick ? 1 : 3);
  const entry = await bundle('train-entry');
  const csvs = {};
  for (const [backend, rows] of Object.entries(backends)) csvs[`iris-${backend}`] = await irisCsv(rows);
  const data = await dataFolder('training', csvs);
  console.log(`training-overhead: ${epochs} epochs per run (epoch 1 = warm-up, not counted), batch ${batchSize}, ${rounds} round(s) of ${variants.join(', ')}; data in ${data}`);
  const results = {};
  try {
    for (const backend of Object.keys(backends)) {
      expman(['preprocess', '--data', data, '--dataset', `iris-${backend}`, '--name', `train-${backend}`, '--split=0.8', '--separate-sets']);
      results[backend] = await measureBackend(backend, { entry, data, epochs, batchSize, variants, rounds, components, quick });
    }
  } finally {
    await fs.rm(data, { recursive: true, force: true });
  }
  console.log(
    [
      '',
      "epoch ms: bare: onEpochBegin→onEpochEnd; app and loop variants: permutation + gather + fit (the app's epoch_end duration_ms); both include validation.",
      'epoch-to-epoch ms: between consecutive epoch ends: also what the app does after an epoch (best model, checkpoint, status.json).',
      `min, max: fastest and slowest measured epoch (their spread shows how noisy the machine was). Peak memory: ${rssMethod}.`,
    ].join('\n'),
  );
  const pass = Object.values(results).every((r) => r.pass.epoch_durations && r.pass.epoch_to_epoch);
  const file = await writeResult('training-overhead', { quick, epochs, batch_size: batchSize, rounds, targets: TARGETS, results, pass });
  console.log(`written ${file}`);
  return { pass };
}
