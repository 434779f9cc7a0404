/**
 * Security hardening for the desktop shell, following Electron's security checklist.
 *
 * Everything here is a pure function or a handler factory that receives its side effects (the event to
 * cancel, the callback to answer, the function that opens a URL externally) as arguments, so it can be
 * unit-tested without Electron. src/main/index.ts wires the handlers to the real session/webContents.
 */

import { CONTENT_SECURITY_POLICY } from '../shared/csp.js';

export { CONTENT_SECURITY_POLICY };

/** The part of an Electron event a handler needs to cancel its default action. */
export interface PreventableEvent {
  preventDefault(): void;
}

/** Opens a URL outside the app (Electron's `shell.openExternal`). */
export type OpenExternal = (url: string) => Promise<void> | void;

/** `session.setPermissionRequestHandler` handler: every permission request (camera, notifications, ...) is denied. */
export function denyPermissionRequest(_webContents: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** `session.setPermissionCheckHandler` / `setDevicePermissionHandler` handler: every permission check fails. */
export function denyPermissionCheck(): boolean {
  return false;
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/**
 * Whether `url` belongs to the app itself, given the URL the window loads (`appEntryUrl`):
 * - http(s) (the dev server) or a custom scheme: same scheme, host and port;
 * - file: (the built renderer): a file inside the directory holding the entry document. File URLs all
 *   share the opaque origin "null", so the directory stands in for the origin. `..` segments (also
 *   percent-encoded) are resolved by the URL parser before the comparison.
 * Anything unparsable is not the app.
 */
export function isAppUrl(url: string, appEntryUrl: string): boolean {
  const target = parseUrl(url);
  const entry = parseUrl(appEntryUrl);
  if (!target || !entry) return false;
  if (target.protocol !== entry.protocol || target.host !== entry.host) return false;
  if (entry.protocol === 'file:') {
    const appDir = entry.pathname.slice(0, entry.pathname.lastIndexOf('/') + 1);
    return target.pathname.startsWith(appDir);
  }
  return true;
}

/**
 * `will-navigate` listener: the window may only navigate within the app; any other navigation (a link
 * or script sending it to a web page, a local file, ...) is cancelled and reported to `onBlocked`.
 */
export function createNavigationGuard(
  appEntryUrl: string,
  onBlocked: (url: string) => void = () => {},
): (event: PreventableEvent, url: string) => void {
  return (event, url) => {
    if (isAppUrl(url, appEntryUrl)) return;
    event.preventDefault();
    onBlocked(url);
  };
}

/**
 * The URL to hand to the system browser for a link the app wants to open, or undefined if it must not
 * be opened: only absolute http(s) URLs without embedded credentials qualify (never `file:`,
 * `javascript:`, `data:`, custom protocols, ...). Returns the parser-normalised form.
 */
export function externalHttpUrl(url: string): string | undefined {
  const parsed = parseUrl(url);
  if (!parsed) return undefined;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.href;
}

/**
 * `webContents.setWindowOpenHandler` handler: the app never opens new Electron windows. http(s) links
 * are passed to `openExternal` (the user's browser); everything else is dropped. Failures of
 * `openExternal` go to `onError` instead of becoming unhandled rejections.
 */
export function createWindowOpenHandler(
  openExternal: OpenExternal,
  onError: (error: unknown, url: string) => void = () => {},
): (details: { url: string }) => { action: 'deny' } {
  return ({ url }) => {
    const target = externalHttpUrl(url);
    if (target !== undefined) {
      try {
        Promise.resolve(openExternal(target)).catch((error: unknown) => onError(error, target));
      } catch (error) {
        onError(error, target);
      }
    }
    return { action: 'deny' };
  };
}

/** What `session.webRequest.onHeadersReceived` passes to its listener (the fields used here). */
export interface HeadersReceivedDetails {
  url: string;
  responseHeaders?: Record<string, string[]>;
}

/** What the `onHeadersReceived` callback accepts; omitting `responseHeaders` keeps the original ones. */
export interface HeadersReceivedResponse {
  responseHeaders?: Record<string, string[]>;
}

/**
 * Response headers with the app's Content-Security-Policy, replacing any CSP header the response had
 * (header names compared case-insensitively). The input is not modified.
 */
export function withContentSecurityPolicy(responseHeaders: Record<string, string[]> | undefined): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(responseHeaders ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
  }
  headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return headers;
}

/**
 * `session.webRequest.onHeadersReceived` listener: responses for the app's own URLs (see `isAppUrl`)
 * get the CSP header; every other response passes through unchanged.
 */
export function createCspHeadersHandler(
  appEntryUrl: string,
): (details: HeadersReceivedDetails, callback: (response: HeadersReceivedResponse) => void) => void {
  return (details, callback) => {
    if (!isAppUrl(details.url, appEntryUrl)) {
      callback({});
      return;
    }
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
  };
}

/** The parts of an IPC event the sender check needs (Electron's IpcMainInvokeEvent has them). */
export interface IpcSender {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown } | null;
}

/**
 * Whether an IPC message comes from one of the app's own windows, from its top frame, showing the app
 * itself. Anything else (a destroyed frame, an iframe, a window navigated elsewhere) is dropped.
 */
export function isTrustedSender(event: IpcSender, windowIds: ReadonlySet<number>, appEntryUrl: string): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  if (!windowIds.has(event.sender.id)) return false;
  return isAppUrl(frame.url, appEntryUrl);
}
