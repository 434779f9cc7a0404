import { describeTarget, loadTargets } from '../../executors/targets.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** The data folder's targets (targets.toml), for the launcher; a broken file is its one-line config error. */
export function targetsHandlers(ctx: HandlerContext): DomainHandlers<'targets'> {
  return {
    'targets:list': async () => [...(await loadTargets(ctx.ws())).values()].map((target) => ({ name: target.name, executor: target.executor, description: describeTarget(target) })),
  };
}
