import { driveSweep } from '../../sweeps/controller.js';
import { runManagerLauncher } from '../../sweeps/launcher.js';
import { checkResumable, createSweep, listSweeps, stopSweep, sweepDetail, sweepDir, sweepSummary } from '../../sweeps/sweeps.js';
import type { Workspace } from '../../workspace.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/**
 * Sweeps started from the UI are driven by this server process, their trials queued on its RunManager
 * (the same queue as `runs:start`, so `jobs:set-concurrency` bounds them with everything else). Stopping
 * goes through the sweep folder's stop request, so a sweep the CLI drives is stopped the same way.
 */
export function sweepsHandlers(ctx: HandlerContext): DomainHandlers<'sweeps'> {
  const drive = (ws: Workspace, dir: string): void => {
    // driveSweep takes the sweep's lock before its first await: when this returns, the sweep is live.
    void driveSweep(ws, dir, { launcher: runManagerLauncher(ctx.runs), command: `expman ${ctx.options.transport === 'electron' ? 'app' : 'ui'} (sweeps:start)` }).catch((error: unknown) =>
      ctx.options.log?.(`sweep ${dir} ended with an error: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  return {
    'sweeps:list': ({ experiment }) => listSweeps(ctx.ws(), experiment),
    'sweeps:get': ({ experiment, name }) => sweepDetail(ctx.ws(), experiment, name),
    'sweeps:start': async ({ text, experiment, name }) => {
      const ws = ctx.ws();
      const { dir, definition } = await createSweep(ws, { text, file: 'sweep.toml', ...(experiment ? { experiment } : {}), ...(name ? { name } : {}) });
      drive(ws, dir);
      return sweepSummary(ws, definition.experiment, definition.name);
    },
    'sweeps:resume': async ({ experiment, name }) => {
      const ws = ctx.ws();
      const dir = await sweepDir(ws, experiment, name);
      await checkResumable(dir);
      drive(ws, dir);
      return sweepSummary(ws, experiment, name);
    },
    // A sweep whose controller is gone: its trials are stopped through this server's queue (its placement options).
    'sweeps:stop': ({ experiment, name }) => stopSweep(ctx.ws(), experiment, name, { stopRun: (ws, run) => ctx.runs.stopRun(ws, run) }),
  };
}
