// Electron main process (ESM, bundled by electron-vite to out/main/index.js).
// It deliberately imports nothing from src/core yet: core pulls in tfjs/danfojs, and the desktop UI that
// needs them (through a typed IPC API) comes in a later issue.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, session, shell, type WebContents } from 'electron';
import { APP_VERSION_ARG } from '../shared/api.js';
import {
  createCspHeadersHandler,
  createNavigationGuard,
  createWindowOpenHandler,
  denyPermissionCheck,
  denyPermissionRequest,
} from './security.js';

const preloadPath = join(import.meta.dirname, '../preload/index.cjs');
const rendererIndexHtml = join(import.meta.dirname, '../renderer/index.html');

/** `electron-vite dev` serves the renderer and passes its URL; otherwise the built files are loaded. */
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;
const appEntryUrl = devServerUrl ?? pathToFileURL(rendererIndexHtml).href;

const navigationGuard = createNavigationGuard(appEntryUrl, (url) => console.warn(`[security] blocked navigation to ${url}`));
const windowOpenHandler = createWindowOpenHandler(
  (url) => shell.openExternal(url),
  (error, url) => console.error(`[security] could not open ${url} externally:`, error),
);

/** Applied to every webContents the app creates, so no window can escape the policy. */
function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', navigationGuard);
  contents.setWindowOpenHandler(windowOpenHandler);
}

function hardenDefaultSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler(denyPermissionRequest);
  ses.setPermissionCheckHandler(denyPermissionCheck);
  ses.setDevicePermissionHandler(denyPermissionCheck);
  ses.webRequest.onHeadersReceived(createCspHeadersHandler(appEntryUrl));
}

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Experiment Manager',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      additionalArguments: [`${APP_VERSION_ARG}${app.getVersion()}`],
    },
  });
  win.once('ready-to-show', () => win.show());

  const loaded = devServerUrl ? win.loadURL(devServerUrl) : win.loadFile(rendererIndexHtml);
  loaded.catch((error: unknown) => console.error('[main] failed to load the renderer:', error));
  return win;
}

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app
  .whenReady()
  .then(() => {
    hardenDefaultSession();
    createMainWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
    });
  })
  .catch((error: unknown) => {
    console.error('[main] startup failed:', error);
    app.exit(1);
  });
