// The core calls the story server exposes over HTTP (bundled by esbuild; see screenshots.mjs).
export { listDatasets, preparedDatasetSummary, readDatasetPage } from '../../../src/core/datasets/browse.js';
export { datasetStats } from '../../../src/core/datasets/stats.js';
export { preprocess } from '../../../src/core/datasets/preprocess.js';
export { workspace } from '../../../src/core/workspace.js';
