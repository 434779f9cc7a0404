import { PREPROCESS_DEFAULTS } from '../../../shared/datasets.js';
import { listDatasets, preparedDatasetSummary, readDatasetPage } from '../../datasets/browse.js';
import { preprocess } from '../../datasets/preprocess.js';
import { datasetStats } from '../../datasets/stats.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** Raw and prepared datasets: list, page through, statistics, preprocess (a cancellable task). */
export function datasetsHandlers(ctx: HandlerContext): DomainHandlers<'datasets'> {
  const { options } = ctx;
  return {
    'datasets:list': async () => listDatasets(ctx.ws()),
    'datasets:page': async ({ name, part, offset, limit }) => readDatasetPage(ctx.ws(), name, part, offset, limit),
    'datasets:stats': async ({ name, part, bins }) => datasetStats(ctx.ws(), name, part, { ...(bins !== undefined ? { bins } : {}), engine: options.statsEngine ?? 'auto' }),
    'datasets:preprocess': async (req) =>
      ctx.tasks.run(req.taskId, async (signal) => {
        const ws = ctx.ws();
        const result = await preprocess(ws, {
          dataset: req.source,
          name: req.name ?? PREPROCESS_DEFAULTS.name,
          split: req.split,
          separateSets: req.separateSets,
          seed: req.seed ?? PREPROCESS_DEFAULTS.seed,
          ...(req.label !== undefined ? { label: req.label } : {}),
          ...(req.task !== undefined ? { task: req.task } : {}),
          ...(req.force !== undefined ? { force: req.force } : {}),
          onProgress: (p) => options.emit('progress', { taskId: req.taskId, ...p }),
          signal,
        });
        return { dataset: await preparedDatasetSummary(ws, result.info.dataset.name), unchanged: result.unchanged };
      }),
  };
}
