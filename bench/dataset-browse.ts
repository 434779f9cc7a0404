// Entry of the dataset-browse benchmark (bundled by lib.mjs): times the Datasets view's core calls on one
// raw CSV inside this process and prints them as JSON. Arguments: <data folder> <dataset> <deep offset>.
import { readDatasetPage } from '../src/core/datasets/browse.js';
import { datasetStats } from '../src/core/datasets/stats.js';
import { workspace } from '../src/core/workspace.js';

const [root, name, deep] = process.argv.slice(2) as [string, string, string];
const ws = workspace(root);
const time = async (run: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
const result = {
  // The first page of a raw file also counts its rows (builds the sparse row index).
  page_first_ms: await time(() => readDatasetPage(ws, name, 'raw', 0, 50)),
  page_deep_ms: await time(() => readDatasetPage(ws, name, 'raw', Number(deep), 50)),
  stats_ms: await time(() => datasetStats(ws, name, 'raw', { engine: 'stream', bins: 20 })),
};
console.log(JSON.stringify(result));
