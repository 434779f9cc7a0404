// Electron main process (ESM, bundled by electron-vite to out/main/index.js): windows, menus, dialogs,
// OS integration and IPC — glue only. The API is implemented by the core backend (src/core/api), the same
// one `expman ui` serves to browsers; training runs in plain Node.js child processes it supervises.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Notification, screen, session, shell, type WebContents } from 'electron';
import type { EventPayloads, WorkspaceFocus } from '../shared/api.js';
import { DROPPED_FOLDER_CHANNEL } from '../shared/os-channels.js';
import { createBackend, type Backend } from '../core/api/backend.js';
import { detectFolder } from '../core/folder-detect.js';
import { isExpmanError } from '../core/errors.js';
import { appLogger, appLogFile } from '../core/logging/loggers.js';
import { resolveDataDir } from '../core/workspace.js';
import { PushQueue, registerApiHandlers } from './ipc.js';
import { installMenu } from './menu.js';
import { folderFromArgv } from './open-folder.js';
import {
  createCspHeadersHandler,
  createNavigationGuard,
  createWindowOpenHandler,
  denyPermissionCheck,
  denyPermissionRequest,
  isTrustedSender,
} from './security.js';
import { fitToDisplays, loadWindowState, saveWindowState } from './window-state.js';

const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
const rendererIndexHtml = join(import.meta.dirname, '../renderer/index.html');
const DOCS_URL = 'https://github.com/experiment-manager/experiment-manager#readme';

/** `electron-vite dev` serves the renderer and passes its URL; otherwise the built files are loaded. */
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const appEntryUrl = devServerUrl ?? pathToFileURL(rendererIndexHtml).href;
const log = appLogger();

const navigationGuard = createNavigationGuard(appEntryUrl, (url) => log.error(`[security] blocked navigation to ${url}`));
const windowOpenHandler = createWindowOpenHandler(
  (url) => shell.openExternal(url),
  (error, url) => log.error(`[security] could not open ${url} externally: ${String(error)}`),
);

const windowIds = new Set<number>();
const pushes = new PushQueue();
/** Pushes an event to every app window (held for a window whose page has not loaded yet). */
const pushToWindows = <E extends keyof EventPayloads>(channel: E, payload: EventPayloads[E]): void =>
  pushes.broadcast(BrowserWindow.getAllWindows().map((w) => w.webContents), channel, payload);
let mainWindow: BrowserWindow | undefined;
let backend: Backend;
let quitting = false;

function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', navigationGuard);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(windowOpenHandler);
}

function hardenDefaultSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler(denyPermissionRequest);
  ses.setPermissionCheckHandler(denyPermissionCheck);
  ses.setDevicePermissionHandler(denyPermissionCheck);
  ses.webRequest.onHeadersReceived(createCspHeadersHandler(appEntryUrl));
}

const windowStateFile = (): string => join(app.getPath('userData'), 'window-state.json');

async function createMainWindow(): Promise<BrowserWindow> {
  const state = await loadWindowState(windowStateFile());
  const placement = fitToDisplays(state, screen.getAllDisplays().map((d) => d.workArea));
  const win = new BrowserWindow({
    ...placement,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Experiment Manager',
    webPreferences: { preload: preloadPath, contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false },
  });
  const id = win.webContents.id;
  windowIds.add(id);
  // The data folder is watched while a window is open; its changes are pushed to every window.
  const releaseWatch = backend.attachClient();
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  win.on('close', () => {
    void saveWindowState(windowStateFile(), { bounds: win.getNormalBounds(), maximized: win.isMaximized() }).catch(() => undefined);
  });
  win.on('closed', () => {
    windowIds.delete(id);
    pushes.forget(id);
    releaseWatch();
    if (mainWindow === win) mainWindow = undefined;
  });
  const loaded = devServerUrl ? win.loadURL(devServerUrl) : win.loadFile(rendererIndexHtml);
  loaded.catch((error: unknown) => log.error(`[main] failed to load the renderer: ${String(error)}`));
  mainWindow = win;
  return win;
}

async function showWindow(): Promise<void> {
  const win = mainWindow ?? (await createMainWindow());
  if (win.isMinimized()) win.restore();
  win.focus();
}

/** Opens what the user pointed at (a data, experiment or run folder) or says why it cannot. */
async function openFolder(path: string): Promise<void> {
  try {
    const found = await detectFolder(path);
    const focus: WorkspaceFocus = { dataDir: found.dataDir, ...(found.experiment ? { experiment: found.experiment } : {}), ...(found.model ? { model: found.model } : {}) };
    backend.setFocus(focus);
    app.addRecentDocument(path);
    await showWindow();
  } catch (error) {
    const message = isExpmanError(error) ? error.message : String(error);
    await dialog.showMessageBox({ type: 'warning', title: 'Not a data folder', message: 'Experiment Manager cannot open this folder', detail: message });
  }
}

async function chooseFolder(title: string, defaultPath: string): Promise<void> {
  const options = { title, defaultPath, properties: ['openDirectory' as const] };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  if (!result.canceled && result.filePaths[0]) await openFolder(result.filePaths[0]);
}

function focusedFolder(): string {
  const focus = backend.focus();
  if (focus.experiment && focus.model) return join(focus.dataDir, 'experiments', focus.experiment, 'models', focus.model);
  if (focus.experiment) return join(focus.dataDir, 'experiments', focus.experiment);
  return focus.dataDir;
}

/** Quitting with training jobs queued or running asks first; runs then stop after their current batch. */
async function confirmQuit(): Promise<boolean> {
  const active = backend.runs.active();
  if (active.length === 0) return true;
  const { response } = await dialog.showMessageBox({
    type: 'question',
    buttons: ['Stop Training and Quit', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    title: 'Training in progress',
    message: `${active.length} training job${active.length > 1 ? 's are' : ' is'} still queued or running.`,
    detail: 'Quitting stops them after the current batch (a run that has not stopped 10 s later is killed); a stopped run can be resumed from its last checkpoint.',
  });
  if (response !== 0) return false;
  await backend.runs.stopAll();
  return true;
}

function start(initialFolder: string | undefined): void {
  backend = createBackend({
    focus: { dataDir: resolveDataDir(undefined) },
    transport: 'electron',
    // danfojs would load tfjs into Electron's process, where native addons are not allowed.
    statsEngine: 'stream',
    emit: pushToWindows,
    os: {
      reveal: async (path) => shell.showItemInFolder(path),
      chooseArchivePath: async (defaultName) => {
        const options = {
          title: 'Archive Data',
          defaultPath: join(app.getPath('documents'), defaultName),
          // The dialog's filter follows the format chosen in the archive dialog (its default name's ending).
          filters: defaultName.endsWith('.tar.zst') ? [{ name: 'zstd tar archive', extensions: ['tar.zst', 'tzst'] }] : [{ name: 'gzip tar archive', extensions: ['tar.gz', 'tgz'] }],
        };
        const result = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
        return result.canceled || !result.filePath ? undefined : result.filePath;
      },
      archiveDone: (result) => {
        if (!Notification.isSupported()) return;
        const note = new Notification({
          title: 'Archive ready',
          body: `${result.files} files in ${result.file}`,
          actions: [{ type: 'button', text: 'Reveal in File Manager' }],
        });
        const reveal = (): void => shell.showItemInFolder(result.file);
        note.on('click', reveal);
        note.on('action', reveal);
        note.show();
      },
    },
    log: (line) => log.warn(line),
    onInternalError: (channel, error) => log.error(`[api] ${channel}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  registerApiHandlers(ipcMain, backend.dispatch, {
    isTrusted: (event) => isTrustedSender(event, windowIds, appEntryUrl),
    onRefused: (channel, event) => log.error(`[security] refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`),
    onReady: (senderId) => {
      const contents = BrowserWindow.getAllWindows().find((w) => w.webContents.id === senderId)?.webContents;
      if (contents) pushes.ready(contents);
    },
    release: (caller) => backend.release(caller),
  });
  ipcMain.on(DROPPED_FOLDER_CHANNEL, (event, path: unknown) => {
    if (!isTrustedSender(event, windowIds, appEntryUrl) || typeof path !== 'string' || path === '') return;
    void openFolder(path);
  });

  installMenu(
    {
      openDataFolder: () => void chooseFolder('Open Data Folder', backend.focus().dataDir),
      openExperimentFolder: () => void chooseFolder('Open Experiment Folder', join(backend.focus().dataDir, 'experiments')),
      revealInFileManager: () => void shell.openPath(focusedFolder()),
      archiveData: () => void showWindow().then(() => pushToWindows('app:command', { command: 'archive' })),
      syncData: () => void showWindow().then(() => pushToWindows('app:command', { command: 'sync' })),
      openAppLog: () => shell.showItemInFolder(appLogFile()),
      openDocumentation: () => void shell.openExternal(DOCS_URL),
      showAbout: () => app.showAboutPanel(),
    },
    { isMac: process.platform === 'darwin', isDev: !app.isPackaged },
  );
  app.setAboutPanelOptions({ applicationName: 'Experiment Manager', applicationVersion: app.getVersion() });
  hardenDefaultSession();
  void (initialFolder ? openFolder(initialFolder) : showWindow());
}

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

const launchFolder = folderFromArgv(process.argv, app.isPackaged);
if (!app.requestSingleInstanceLock({ folder: launchFolder ? resolve(launchFolder) : null })) {
  // Another instance is running: it receives our folder through `second-instance` and takes focus.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory, data) => {
    const fromData = (data as { folder?: string | null } | undefined)?.folder;
    const folder = fromData ?? folderFromArgv(argv, app.isPackaged);
    void (folder ? openFolder(resolve(workingDirectory, folder)) : showWindow());
  });
  // macOS: a folder dropped on the Dock icon or opened with the app ("Open With").
  let pendingOpen: string | undefined;
  app.on('open-file', (event, path) => {
    event.preventDefault();
    if (app.isReady()) void openFolder(path);
    else pendingOpen = path;
  });

  app.on('window-all-closed', () => {
    if (process.platform === 'darwin') return;
    if (backend.runs.active().length > 0) {
      // Training continues; launching the app again (second-instance) reopens the window.
      if (Notification.isSupported()) {
        new Notification({ title: 'Experiment Manager', body: 'Training continues in the background. Open Experiment Manager again to watch it.' }).show();
      }
      return;
    }
    app.quit();
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void confirmQuit().then((ok) => {
      if (!ok) return;
      quitting = true;
      app.quit();
    });
  });

  app
    .whenReady()
    .then(() => {
      start(pendingOpen ?? launchFolder);
      app.on('activate', () => void showWindow());
    })
    .catch((error: unknown) => {
      log.error(`[main] startup failed: ${String(error)}`);
      app.exit(1);
    });
}
