// Benchmark `preprocess`: `expman preprocess` on a large Iris-like CSV against pandas doing the same work
// (read, shuffle, write train and test files), each in a fresh process: wall time and peak RSS.
// Targets: expman time ≤ 1.5× pandas, expman peak memory ≤ 2× pandas.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, EXPMAN, dataFolder, findPython, fmt, irisCsv, measureProcess, medians, printTable, rssMethod, writeResult } from './lib.mjs';

export const TARGETS = { time_ratio_max: 1.5, memory_ratio_max: 2 };

/** The measured commands: each `measure(i, data)` runs one fresh process and returns its wall time and peak RSS. */
function tools({ python, dataset, source, split, danfo }) {
  const list = [];
  if (python) {
    list.push({
      name: 'pandas',
      label: `pandas ${python.version} (read_csv, sample, to_csv)`,
      async measure(i, data) {
        const out = join(data, `pandas-${i}`);
        await fs.mkdir(out);
        return measureProcess(python.python, [join(BENCH_DIR, 'pandas_split.py'), source, out, String(split)], { kind: 'python' });
      },
    });
  }
  list.push({
    name: 'expman',
    label: 'expman preprocess --separate-sets',
    async measure(_i, data) {
      // An identical prepared dataset is left as it is (nothing written): remove it so each run does the full work.
      await fs.rm(join(data, 'datasets', 'p1m'), { recursive: true, force: true });
      const args = [EXPMAN, 'preprocess', '--data', data, '--dataset', dataset, '--name', 'p1m', `--split=${split}`, '--separate-sets', '--force'];
      return measureProcess(process.execPath, args, { kind: 'node' });
    },
  });
  if (danfo) {
    list.push({
      name: 'danfojs',
      label: 'danfojs-node (readCSV, sample, toCSV)',
      async measure(i, data) {
        const out = join(data, `danfo-${i}`);
        await fs.mkdir(out);
        return measureProcess(process.execPath, [join(BENCH_DIR, 'danfo_split.mjs'), source, out, String(split)], { kind: 'node' });
      },
    });
  }
  return list;
}

export async function run({ quick = false, danfo = false, repeats } = {}) {
  const rows = quick ? 100_000 : 1_000_000;
  const times = repeats ?? (quick ? 1 : 3);
  const dataset = quick ? 'iris100k' : 'iris1m';
  const split = 0.8;
  const python = findPython('pandas');
  if (!python) console.warn('preprocess: no python3 with pandas (set $PYTHON to one): measuring expman alone, targets not judged');

  const data = await dataFolder('preprocess', { [dataset]: await irisCsv(rows) });
  const source = join(data, 'datasets', 'external', `${dataset}.csv`);
  const bytes = (await fs.stat(source)).size;
  const measured = tools({ python, dataset, source, split, danfo });
  const samples = Object.fromEntries(measured.map((t) => [t.name, []]));
  console.log(`preprocess: ${rows.toLocaleString('en-US')} rows (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${source}; median of ${times} run(s) each`);
  try {
    // Interleaved (pandas, expman, pandas, expman, …) so that drift of the machine affects both alike.
    for (let i = 0; i < times; i++) {
      for (const tool of measured) {
        const { wallMs, peakMiB } = await tool.measure(i, data);
        samples[tool.name].push({ wall_ms: wallMs, peak_mib: peakMiB });
        console.log(`  ${tool.name} run ${i + 1}/${times}: ${fmt.s(wallMs)} s, ${fmt.mib(peakMiB)} MiB`);
      }
    }
  } finally {
    await fs.rm(data, { recursive: true, force: true });
  }

  const results = Object.fromEntries(measured.map((t) => [t.name, { label: t.label, ...medians(samples[t.name]), runs: samples[t.name] }]));
  const base = results.pandas;
  const ratios = Object.fromEntries(
    Object.entries(results).map(([name, r]) => [name, base ? { time: r.wall_ms / base.wall_ms, memory: r.peak_mib / base.peak_mib } : null]),
  );
  const pass = base ? { time: ratios.expman.time <= TARGETS.time_ratio_max, memory: ratios.expman.memory <= TARGETS.memory_ratio_max } : null;

  printTable(
    `preprocess — ${rows.toLocaleString('en-US')} rows, split ${split}, separate train/test files (median of ${times}; ratios vs pandas, same run)`,
    ['tool', 'time s', 'peak MiB', 'time ratio', 'memory ratio'],
    Object.entries(results).map(([name, r]) => [r.label, fmt.s(r.wall_ms), fmt.mib(r.peak_mib), fmt.ratio(ratios[name]?.time), fmt.ratio(ratios[name]?.memory)]),
    [
      pass
        ? `targets: expman time ≤ ${TARGETS.time_ratio_max}x pandas: ${fmt.verdict(pass.time)} (${fmt.ratio(ratios.expman.time)});` +
          ` expman memory ≤ ${TARGETS.memory_ratio_max}x pandas: ${fmt.verdict(pass.memory)} (${fmt.ratio(ratios.expman.memory)})`
        : 'targets: not judged (no pandas baseline)',
      `time: wall time of the whole process (startup and imports included); peak memory: ${rssMethod}`,
    ],
  );

  const file = await writeResult('preprocess', { quick, rows, bytes, repeats: times, targets: TARGETS, results, ratios, pass });
  console.log(`written ${file}`);
  return { pass: pass ? pass.time && pass.memory : null };
}
