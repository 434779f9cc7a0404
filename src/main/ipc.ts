import { CALL_CHANNELS, type ApiResult, type EventChannel, type EventPayloads } from '../shared/api.js';
import type { Dispatch } from '../core/api/dispatch.js';
import type { IpcSender } from './security.js';

/** The slice of Electron's ipcMain this module uses (passed in, so tests run without Electron). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSender, request: unknown) => Promise<ApiResult<unknown>>): void;
  removeHandler(channel: string): void;
}

/** A window the app pushes events to. */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/**
 * Registers one handler per call in the contract. Messages from anything but the app's own windows are
 * answered with FORBIDDEN and never reach the backend; everything else goes through the dispatcher, which
 * validates the request against the call's schema.
 */
export function registerApiHandlers(ipcMain: IpcMainLike, dispatch: Dispatch, isTrusted: (event: IpcSender) => boolean, onRefused?: (channel: string, event: IpcSender) => void): () => void {
  for (const channel of CALL_CHANNELS) {
    ipcMain.handle(channel, async (event, request) => {
      if (!isTrusted(event)) {
        onRefused?.(channel, event);
        return { ok: false, error: { code: 'FORBIDDEN', message: `${channel}: sender is not an Experiment Manager window` } };
      }
      return dispatch(channel, request);
    });
  }
  return () => {
    for (const channel of CALL_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Pushes an event to every open app window (closed ones are skipped; runs go on without them). */
export function broadcast<E extends EventChannel>(targets: Iterable<EventTarget>, channel: E, payload: EventPayloads[E]): void {
  for (const target of targets) if (!target.isDestroyed()) target.send(channel, payload);
}
