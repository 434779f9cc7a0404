/// <reference types="vite/client" />

import type { BridgeApi } from '../../shared/api';

declare global {
  interface Window {
    /** Exposed by src/preload/index.ts through contextBridge in the desktop app; absent in a browser. */
    readonly expmanBridge?: BridgeApi;
  }
}
