import { BRIDGE_GLOBAL, unwrapBridge, type BridgeApi, type ExpmanApi } from '../../../shared/api';
import { createBrowserBridge } from './browser-transport';

/**
 * The API the whole renderer uses. In the desktop app the preload has put the Electron bridge on window;
 * anywhere else (`expman ui` in a browser) the WebSocket transport provides the very same object.
 */
export function connectApi(): { api: ExpmanApi; transport: 'electron' | 'browser' } {
  const electron = (window as unknown as Record<string, BridgeApi | undefined>)[BRIDGE_GLOBAL];
  return electron ? { api: unwrapBridge(electron), transport: 'electron' } : { api: unwrapBridge(createBrowserBridge()), transport: 'browser' };
}
