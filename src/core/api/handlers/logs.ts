import { LogRegistry } from '../../logs/log-registry.js';
import { paths, runFiles } from '../../workspace.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** A run's run.log: windows, searches, and follows held per caller (released by the backend when it goes). */
export function logsHandlers(ctx: HandlerContext): DomainHandlers<'logs'> {
  const logs = new LogRegistry();
  const logFile = (experiment: string, model: string): string => runFiles.runLog(paths.modelDir(ctx.ws(), experiment, model));
  return {
    'logs:read': async ({ experiment, model, request }) => logs.read(logFile(experiment, model), request),
    'logs:search': async ({ experiment, model, request }) => logs.search(logFile(experiment, model), request),
    'logs:watch': async ({ experiment, model }, caller) => {
      const file = logFile(experiment, model);
      // Two views of one run share one watcher; each caller's references are its own.
      ctx.follows.follow(caller.id, `${ctx.ws().root}\0${experiment}\0${model}`, () =>
        logs.watch(file, (info) => ctx.options.emit('logs:changed', { experiment, model, info })),
      );
      return null;
    },
    'logs:unwatch': async ({ experiment, model }, caller) => {
      ctx.follows.unfollow(caller.id, `${ctx.ws().root}\0${experiment}\0${model}`);
      return null;
    },
  };
}
