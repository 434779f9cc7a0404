import { createContext, useContext, useEffect, useMemo, useState, type JSX, type ReactNode } from 'react';
import type { AppCommand } from '../../../shared/archive-sync';
import { useApi } from '../api/context';
import { ArchiveDialog } from './ArchiveDialog';
import { SyncDialog } from './SyncDialog';

export interface Dialogs {
  /** Which dialog is open, if any. */
  open: AppCommand | null;
  show: (command: AppCommand) => void;
  close: () => void;
}

const DialogsContext = createContext<Dialogs | undefined>(undefined);

/**
 * Holds the one archive/sync dialog that may be open, renders it, and opens it when the desktop menu
 * sends `app:command` (File → Archive Data…, Sync Data…). Mount once, inside the ApiProvider and
 * WorkspaceProvider, around the shell; header buttons open the same dialogs through `useDialogs()`.
 */
export function AppCommands({ children }: { children?: ReactNode }): JSX.Element {
  const api = useApi();
  const [open, setOpen] = useState<AppCommand | null>(null);

  // A menu command while a dialog is open is ignored: that dialog may be running a task, and closing it
  // would orphan the task's progress and result.
  useEffect(() => api.onAppCommand(({ command }) => setOpen((current) => current ?? command)), [api]);

  const dialogs = useMemo<Dialogs>(() => ({ open, show: (command) => setOpen((current) => current ?? command), close: () => setOpen(null) }), [open]);
  return (
    <DialogsContext.Provider value={dialogs}>
      {children}
      {open === 'archive' && <ArchiveDialog onClose={dialogs.close} />}
      {open === 'sync' && <SyncDialog onClose={dialogs.close} />}
    </DialogsContext.Provider>
  );
}

export function useDialogs(): Dialogs {
  const dialogs = useContext(DialogsContext);
  if (!dialogs) throw new Error('useDialogs outside AppCommands');
  return dialogs;
}

/** "Archive…" and "Sync…" for the app header: the same dialogs as the desktop File menu. */
export function ArchiveSyncButtons(): JSX.Element {
  const { show } = useDialogs();
  return (
    <span className="arc-header-buttons">
      <button type="button" className="btn small" onClick={() => show('archive')}>
        Archive…
      </button>
      <button type="button" className="btn small" onClick={() => show('sync')}>
        Sync…
      </button>
    </span>
  );
}
