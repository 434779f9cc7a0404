import { platform } from 'node:os';
import { relative, resolve, sep } from 'node:path';
import { ExpmanError } from '../../errors.js';
import { resolveWorkerRuntime } from '../../training/worker-runtime.js';
import { toolVersion } from '../../version.js';
import { exists, type Workspace } from '../../workspace.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** Resolves a path the UI named relative to the data folder, refusing anything that would leave it. */
export function insideDataDir(ws: Workspace, relativePath: string): string {
  const abs = resolve(ws.root, relativePath);
  const rel = relative(ws.root, abs);
  if (rel === '..' || rel.startsWith(`..${sep}`) || resolve(ws.root, rel) !== abs) {
    throw new ExpmanError('INVALID_ARGUMENT', `${relativePath} is outside the data folder`, { key: 'path' });
  }
  return abs;
}

/** The app itself and its open data folder: what it is, which folder, the OS shell, cancelling long tasks. */
export function workspaceHandlers(ctx: HandlerContext): DomainHandlers<'app' | 'workspace' | 'shell' | 'tasks'> {
  const { options } = ctx;
  return {
    'app:info': async () => {
      const runtime = resolveWorkerRuntime('');
      return {
        version: toolVersion(),
        transport: options.transport,
        dataDir: ctx.focus().dataDir,
        platform: platform(),
        worker: { source: runtime.source, nativeBackends: runtime.nativeBackends },
        osIntegration: options.os !== undefined,
      };
    },
    'workspace:focus': async () => ctx.focus(),
    'tasks:cancel': async ({ taskId }) => ({ cancelled: ctx.tasks.cancel(taskId) }),
    'shell:reveal': async ({ path }) => {
      if (!options.os) throw new ExpmanError('UNSUPPORTED', 'revealing files needs the desktop app');
      const abs = insideDataDir(ctx.ws(), path);
      if (!(await exists(abs))) throw new ExpmanError('NOT_FOUND', `${path} does not exist in the data folder`, { file: abs });
      await options.os.reveal(abs);
      return null;
    },
  };
}
