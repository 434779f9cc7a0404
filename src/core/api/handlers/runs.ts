import type { ExperimentSummary } from '../../../shared/runs.js';
import { RunTableReader } from '../../runs/run-table.js';
import { IN_PLACE_ENV } from '../../executors/executor.js';
import { testOnTarget } from '../../executors/remote-test.js';
import { runCliTask } from '../../jobs/cli-task.js';
import { readRunConfig } from '../../training/run-folder.js';
import { listExperiments, listRuns } from '../../training/run-store.js';
import { resolveWorkerRuntime } from '../../training/worker-runtime.js';
import { DEFAULT_EXPERIMENT, exists, paths, type Workspace } from '../../workspace.js';
import { runDetail, runMetrics } from '../run-details.js';
import { refuseRuntimeNodeOverride } from '../runtime-node-policy.js';
import type { DomainHandlers, HandlerContext } from './context.js';

async function experimentsOverview(ws: Workspace): Promise<ExperimentSummary[]> {
  const names = await listExperiments(ws);
  // The CLI trains into experiments/default unless told otherwise, so a fresh data folder offers it.
  if (!names.includes(DEFAULT_EXPERIMENT)) names.unshift(DEFAULT_EXPERIMENT);
  const runs = await listRuns(ws);
  return Promise.all(
    names.map(async (name) => ({
      name,
      hasConfig: await exists(paths.experimentConfig(ws, name)),
      runs: runs.filter((run) => run.experiment === name),
    })),
  );
}

/** Experiments, their runs (read from the run folders) and the run queue (RunManager). */
export function runsHandlers(ctx: HandlerContext): DomainHandlers<'experiments' | 'runs' | 'jobs'> {
  const { runs } = ctx;
  // Summaries of config.toml and metrics.jsonl per run folder, kept while the files are unchanged.
  const table = new RunTableReader();
  return {
    'experiments:list': async () => experimentsOverview(ctx.ws()),
    'runs:list': async ({ experiment }) => listRuns(ctx.ws(), experiment),
    'runs:table': async ({ experiment }) => table.read(ctx.ws(), experiment),
    'runs:get': async ({ experiment, model }) => runDetail(ctx.ws(), experiment, model),
    'runs:metrics': async ({ experiment, model, since }) => runMetrics(ctx.ws(), experiment, model, since),
    'runs:start': async ({ experiment, model, overrides }) => {
      refuseRuntimeNodeOverride(overrides);
      return runs.start(ctx.ws(), { experiment, model, overrides });
    },
    'runs:resume': async (run) => runs.resume(ctx.ws(), run),
    'runs:rerun': async (run) => runs.rerun(ctx.ws(), run),
    'runs:test': async ({ experiment, model }) => {
      const ws = ctx.ws();
      // A run that executed on a target is tested there when it can be reached (remote-test.ts): from this
      // process, which has the app's SSH settings; it loads no training code.
      if (await testOnTarget(ws, experiment, model)) return runDetail(ws, experiment, model);
      // The same Node.js the run trained with (its saved runtime.node), so a native backend can load the model.
      const { config } = await readRunConfig(paths.modelDir(ws, experiment, model));
      const runtime = resolveWorkerRuntime(config.values['runtime.node']);
      // Here, as decided above (the child must not try the target again).
      await runCliTask(['test', '--data', ws.root, '--experiment', experiment, '--model', model], { ...runtime, env: { ...runtime.env, [IN_PLACE_ENV]: '1' } });
      return runDetail(ws, experiment, model);
    },
    'runs:stop': async ({ jobId }) => runs.stop(jobId),
    'runs:stop-run': async ({ experiment, model, force }) => {
      const ws = ctx.ws();
      await runs.stopRun(ws, { experiment, model }, force ? { force } : {});
      return (await runDetail(ws, experiment, model)).summary;
    },
    'jobs:list': async () => runs.state(),
    'jobs:set-concurrency': async ({ concurrency }) => runs.setConcurrency(concurrency),
  };
}
