/// <reference types="vite/client" />

import type { ExpmanApi } from '../../shared/api';

declare global {
  interface Window {
    /** Exposed by src/preload/index.ts through contextBridge. */
    readonly api: ExpmanApi;
  }
}
