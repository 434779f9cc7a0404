// Runs the benchmarks: `node bench/run.mjs [name...] [--quick] [--danfo] [--diagnose] [--repeat N] [--strict]`
// (`npm run bench` builds the CLI first). Results are printed as tables and written to bench/output/<name>.json.
import { parseArgs } from 'node:util';

const BENCHES = {
  preprocess: () => import('./preprocess.mjs'),
  'training-overhead': () => import('./training-overhead.mjs'),
  'mlp-backends': () => import('./mlp-backends.mjs'),
  'train-speed': () => import('./train-speed.mjs'),
  'ui-charts': () => import('./ui-charts.mjs'),
  'dataset-browse': () => import('./dataset-browse.mjs'),
  'ui-logs': () => import('./ui-logs.mjs'),
  archive: () => import('./archive.mjs'),
  'live-folder': () => import('./live-folder.mjs'),
  quality: () => import('./quality.mjs'),
  'command-overhead': () => import('./command-overhead.mjs'),
  'runs-table': () => import('./runs-table.mjs'),
};

const USAGE = `usage: node bench/run.mjs [name...] [options]

benchmarks: ${Object.keys(BENCHES).join(', ')} (default: all)
  --quick       small sizes and one repetition: a smoke run (< 60 s for all)
  --danfo       preprocess: also measure danfojs-node (slow: ~50 s and ~1.7 GiB for 1M rows)
  --diagnose    training-overhead: also run the intermediate variants (per-epoch fit + gather, + callback)
  --repeat N    repetitions (rounds) per measurement (default 3, --quick 1)
  --strict      exit with status 1 when a target is missed (default: report only)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    danfo: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = positionals.filter((name) => !(name in BENCHES));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}
const repeats = values.repeat === undefined ? undefined : Number(values.repeat);
if (repeats !== undefined && !(Number.isInteger(repeats) && repeats >= 1)) {
  console.error('bench: --repeat must be a positive integer');
  process.exit(2);
}

const started = performance.now();
const missed = [];
const unjudged = [];
for (const name of positionals.length ? positionals : Object.keys(BENCHES)) {
  console.log(`\n=== ${name}${values.quick ? ' (quick: a smoke run; its figures are too small and short to judge targets by)' : ''} ===`);
  const bench = await BENCHES[name]();
  // pass: true, false, or null when a target could not be judged (e.g. no baseline available)
  const { pass } = await bench.run({ quick: values.quick, danfo: values.danfo, diagnose: values.diagnose, repeats });
  if (pass === false) missed.push(name);
  if (pass === null) unjudged.push(name);
}
const outcome = [missed.length ? `targets missed: ${missed.join(', ')}` : 'no target missed', unjudged.length ? `not judged: ${unjudged.join(', ')}` : ''];
console.log(`\nbench: done in ${((performance.now() - started) / 1000).toFixed(1)} s; ${outcome.filter(Boolean).join('; ')}`);
if (values.strict && missed.length) process.exit(1);
