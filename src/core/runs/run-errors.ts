import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { ExpmanError, isExpmanError } from '../errors.js';

/**
 * Turns the system errors a run meets while writing its folder (disk full, read-only or removed folder,
 * a model too large for memory) into one-line ExpmanErrors, so the CLI prints one line and exits 1
 * instead of "internal error" with a stack. Anything else is returned as it was.
 */
export function asRunError(error: unknown, dir: string): unknown {
  if (isExpmanError(error)) return error;
  const e = error as NodeJS.ErrnoException;
  const path = e?.path ?? dir;
  switch (e?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ExpmanError('DISK_FULL', `no space left on the device writing ${path} (${e.code})`, { file: path });
    case 'EROFS':
      return new ExpmanError('NOT_WRITABLE', `cannot write ${path}: read-only file system`, { file: path });
    case 'EACCES':
    case 'EPERM':
      return new ExpmanError('NOT_WRITABLE', `cannot write ${path}: permission denied`, { file: path });
    case 'ENOENT':
      // A run never removes its own files (only old checkpoints): a missing one means the folder is being
      // or has been removed — `rm -rf` takes a while, so the folder itself may still be there.
      if (!existsSync(dir)) return new ExpmanError('RUN_MISSING', `run folder ${dir} was removed while the run was using it`, { file: dir });
      if (e.path && relative(dir, e.path) && !relative(dir, e.path).startsWith('..')) {
        return new ExpmanError('RUN_MISSING', `run folder ${dir} was removed while the run was using it (${e.path} is missing)`, { file: e.path });
      }
      break;
    default:
      break;
  }
  if (error instanceof RangeError && /allocat|typed array length|array buffer|out of memory/i.test(error.message)) {
    return new ExpmanError('OUT_OF_MEMORY', `the model does not fit in memory (${error.message}); use fewer or smaller layers (model.hidden_units)`, { key: 'model.hidden_units' });
  }
  if (error instanceof Error && /out of memory|bad_alloc|OOM/i.test(error.message)) {
    return new ExpmanError('OUT_OF_MEMORY', `the model does not fit in memory (${error.message.split('\n')[0]}); use fewer or smaller layers (model.hidden_units)`, { key: 'model.hidden_units' });
  }
  return error;
}
