// Sandboxed preload (webPreferences.sandbox: true): it is bundled to a single CommonJS file and may only
// use require('electron') and the reduced `process` object (argv, versions, ...), never other Node APIs.
import { contextBridge } from 'electron';
import { APP_VERSION_ARG, type ExpmanApi } from '../shared/api.js';

const versionArg = process.argv.find((arg) => arg.startsWith(APP_VERSION_ARG));

const api: ExpmanApi = {
  version: versionArg ? versionArg.slice(APP_VERSION_ARG.length) : 'unknown',
  runtime: {
    electron: process.versions.electron,
    chrome: process.versions.chrome,
    node: process.versions.node,
  },
};

contextBridge.exposeInMainWorld('api', api);
