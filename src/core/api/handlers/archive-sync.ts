import { join } from 'node:path';
import { createArchive, defaultArchiveName } from '../../archive/create.js';
import { ExpmanError } from '../../errors.js';
import { syncData } from '../../sync/sync.js';
import { SyncDestinationStore, settingsDir } from '../sync-destinations.js';
import type { DomainHandlers, HandlerContext } from './context.js';

/** Archiving the data folder (desktop only: the file is written where the user chose) and syncing it. */
export function archiveSyncHandlers(ctx: HandlerContext): DomainHandlers<'archive' | 'sync'> {
  const { options } = ctx;
  const destinations = new SyncDestinationStore(options.syncDestinationsFile ?? join(settingsDir(), 'sync-destinations.json'));
  return {
    'archive:create': async ({ taskId, format, excludeCheckpoints, only }) => {
      const os = options.os;
      if (!os) {
        throw new ExpmanError('UNSUPPORTED', 'archiving from the browser UI is not available (it would write a file on the server): run `expman archive` on the machine that holds the data folder');
      }
      const out = await os.chooseArchivePath(defaultArchiveName(new Date(), format));
      if (out === undefined) throw new ExpmanError('CANCELLED', 'archive cancelled: no file chosen');
      const result = await ctx.tasks.run(taskId, (signal) =>
        createArchive({ dataDir: ctx.ws().root, out, format, excludeCheckpoints, only, overwrite: true, signal, onProgress: (p) => options.emit('progress', { taskId, ...p }) }),
      );
      os.archiveDone(result);
      return result;
    },
    'sync:destinations': async () => destinations.list(),
    'sync:save-destination': async ({ destination }) => destinations.save(destination),
    'sync:remove-destination': async ({ name }) => destinations.remove(name),
    'sync:run': async ({ taskId, target, direction, dryRun, delete: del, excludeCheckpoints }) =>
      ctx.tasks.run(taskId, (signal) =>
        syncData({
          dataDir: ctx.ws().root,
          ...(direction === 'push' ? { to: target } : { from: target }),
          dryRun,
          delete: del,
          excludeCheckpoints,
          signal,
          onProgress: (p) => options.emit('progress', { taskId, ...p }),
        }),
      ),
  };
}
