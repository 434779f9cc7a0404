// Benchmark `dataset-browse`: the Datasets view's core calls on a large raw CSV (Iris-like), against pandas
// doing the same work in the same run: the first page with the row count, a page deep in the file, and
// describe() + class balance + per-class histograms. Times are measured inside each (fresh) process, so
// interpreter start-up and imports are left out on both sides.
// Targets: first and deep page ≤ 1× pandas; statistics ≤ 1.5× pandas.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { bundle, dataFolder, findPython, fmt, irisCsv, measureProcess, median, printTable, writeResult } from './lib.mjs';

export const TARGETS = { page_ratio_max: 1, stats_ratio_max: 1.5 };

export async function run({ quick = false, repeats } = {}) {
  const rows = quick ? 100_000 : 1_000_000;
  const times = repeats ?? (quick ? 1 : 3);
  const deep = Math.floor(rows * 0.654321);
  const data = await dataFolder('dataset-browse', { big: await irisCsv(rows) });
  const csv = join(data, 'datasets', 'external', 'big.csv');
  const entry = await bundle('dataset-browse');
  const python = findPython('pandas');
  if (!python) console.warn('dataset-browse: no python3 with pandas (set $PYTHON to one): measuring expman alone, targets not judged');
  const samples = { expman: [], pandas: [] };
  try {
    for (let i = 0; i < times; i++) {
      const ours = await measureProcess(process.execPath, [entry, data, 'big', String(deep)], { kind: 'node' });
      samples.expman.push(JSON.parse(ours.stdout.trim().split('\n').pop()));
      if (python) {
        const theirs = await measureProcess(python.python, [join(import.meta.dirname, 'pandas_browse.py'), csv, String(deep), 'species'], { kind: 'python' });
        samples.pandas.push(JSON.parse(theirs.stdout.trim().split('\n').pop()));
      }
    }
  } finally {
    await fs.rm(data, { recursive: true, force: true });
  }
  const keys = ['page_first_ms', 'page_deep_ms', 'stats_ms'];
  const med = (list) => Object.fromEntries(keys.map((k) => [k, median(list.map((s) => s[k]))]));
  const results = { expman: med(samples.expman), ...(python ? { pandas: med(samples.pandas) } : {}) };
  const ratios = python ? Object.fromEntries(keys.map((k) => [k, results.expman[k] / results.pandas[k]])) : null;
  const pass = ratios
    ? { page_first: ratios.page_first_ms <= TARGETS.page_ratio_max, page_deep: ratios.page_deep_ms <= TARGETS.page_ratio_max, stats: ratios.stats_ms <= TARGETS.stats_ratio_max }
    : null;
  const labels = { page_first_ms: 'first page (50 rows) + row count', page_deep_ms: `page at row ${deep.toLocaleString('en-US')}`, stats_ms: 'describe + class balance + histograms' };
  printTable(
    `dataset-browse — ${rows.toLocaleString('en-US')} rows (median of ${times}; in-process ms; ratio expman / pandas, same run)`,
    ['call', 'expman ms', 'pandas ms', 'ratio', 'target'],
    keys.map((k) => [
      labels[k],
      results.expman[k].toFixed(1),
      python ? results.pandas[k].toFixed(1) : 'n/a',
      fmt.ratio(ratios?.[k]),
      pass ? `${fmt.verdict(k === 'stats_ms' ? pass.stats : k === 'page_first_ms' ? pass.page_first : pass.page_deep)} (≤ ${k === 'stats_ms' ? TARGETS.stats_ratio_max : TARGETS.page_ratio_max}x)` : 'n/a',
    ]),
    [`pandas ${python?.version ?? 'n/a'}: read_csv(nrows) + line count; read_csv(skiprows, nrows); read_csv + describe + value_counts + numpy.histogram per class`],
  );
  const file = await writeResult('dataset-browse', { quick, rows, repeats: times, targets: TARGETS, results, ratios, pass });
  console.log(`written ${file}`);
  return { pass: pass ? pass.page_first && pass.page_deep && pass.stats : null };
}
