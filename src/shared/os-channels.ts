/**
 * IPC channels between the preload and the main process that are NOT part of the renderer's API: the
 * page cannot reach them (it has no ipcRenderer), only the preload's own DOM listeners can.
 */
/** A folder the user dropped on the window (its path, which only the preload can read from the File). */
export const DROPPED_FOLDER_CHANNEL = 'os:dropped-folder';
