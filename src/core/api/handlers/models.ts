import { listModels } from '../../models/inspect.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** The models a config can name: the built-in one and the data folder's model modules. */
export function modelsHandlers(ctx: HandlerContext): DomainHandlers<'models'> {
  return {
    // Each module is imported in a short-lived child process, never in this one (see inspect.ts).
    'models:list': async () => listModels(ctx.ws()),
  };
}
