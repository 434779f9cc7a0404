// Sandboxed preload (webPreferences.sandbox: true): bundled to a single CommonJS file that may only
// require('electron'). It exposes one named method per API call and one on<Event> subscription per pushed
// event — all generated from the contract in src/shared/api.ts — and never ipcRenderer itself.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, buildBridge, type ApiResult } from '../shared/api.js';
import { DROPPED_FOLDER_CHANNEL } from '../shared/os-channels.js';

const bridge = buildBridge(
  (channel, request) => ipcRenderer.invoke(channel, request) as Promise<ApiResult<unknown>>,
  (channel, listener) => {
    const handler = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => void ipcRenderer.removeListener(channel, handler);
  },
);

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);

// Drag and drop of a folder onto the window opens it (OS integration). Only the preload can turn a dropped
// File into a path (webUtils); it sends the path straight to the main process, which checks it is a data,
// experiment or run folder. Files made by page scripts have no path and are ignored.
window.addEventListener('dragover', (event) => {
  if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
});
window.addEventListener('drop', (event) => {
  const file = event.dataTransfer?.files[0];
  if (!file) return;
  event.preventDefault();
  const path = webUtils.getPathForFile(file);
  if (path) ipcRenderer.send(DROPPED_FOLDER_CHANNEL, path);
});
