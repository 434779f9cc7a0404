import { Menu, type MenuItemConstructorOptions } from 'electron';

/** What the menu can do; index.ts supplies the implementations. Optional actions hide their item. */
export interface MenuActions {
  openDataFolder(): void;
  openExperimentFolder(): void;
  revealInFileManager(): void;
  /** File → Archive data…; absent until the archive feature is wired (then the item is absent too). */
  archiveData?: () => void;
  /** File → Sync…; absent the same way. */
  syncData?: () => void;
  openAppLog(): void;
  showAbout(): void;
  openDocumentation(): void;
}

/**
 * The application menu: File (open a data, experiment or run folder; reveal; archive; quit), Edit (so
 * copy/paste work in the editor), View and Window as users expect, Help. `isMac` adds the app menu.
 */
export function buildMenuTemplate(actions: MenuActions, options: { isMac: boolean; isDev: boolean }): MenuItemConstructorOptions[] {
  const file: MenuItemConstructorOptions[] = [
    { label: 'Open Data Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openDataFolder() },
    { label: 'Open Experiment Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.openExperimentFolder() },
    { type: 'separator' },
    { label: 'Reveal in File Manager', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.revealInFileManager() },
  ];
  if (actions.archiveData || actions.syncData) file.push({ type: 'separator' });
  if (actions.archiveData) file.push({ label: 'Archive Data…', click: actions.archiveData });
  if (actions.syncData) file.push({ label: 'Sync Data…', click: actions.syncData });
  if (!options.isMac) file.push({ type: 'separator' }, { role: 'quit' });

  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(options.isDev ? [{ role: 'toggleDevTools' } as const] : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];

  const template: MenuItemConstructorOptions[] = [
    { label: 'File', submenu: file },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Documentation', click: () => actions.openDocumentation() },
        { label: 'Open App Log', click: () => actions.openAppLog() },
        ...(options.isMac ? [] : [{ type: 'separator' } as const, { label: 'About Experiment Manager', click: () => actions.showAbout() }]),
      ],
    },
  ];
  if (options.isMac) template.unshift({ role: 'appMenu' });
  return template;
}

export function installMenu(actions: MenuActions, options: { isMac: boolean; isDev: boolean }): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(actions, options)));
}
