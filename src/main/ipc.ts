import { CALL_CHANNELS, type ApiResult, type EventChannel, type EventPayloads } from '../shared/api.js';
import type { Caller, Dispatch } from '../core/api/dispatch.js';
import type { IpcSender } from './security.js';

/** A call's sender as Electron gives it (a WebContents): its id, and the events that end its page. */
export interface IpcCallEvent extends IpcSender {
  sender: IpcSender['sender'] & {
    once?(event: 'destroyed', listener: () => void): unknown;
    on?(event: 'did-navigate', listener: () => void): unknown;
  };
}

/** The slice of Electron's ipcMain this module uses (passed in, so tests run without Electron). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcCallEvent, request: unknown) => Promise<ApiResult<unknown>>): void;
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
 * validates the request against the call's schema. Each webContents is one caller: what its page held
 * (log follows) is handed to `release` when the page goes (window closed, reload, navigation).
 */
export function registerApiHandlers(
  ipcMain: IpcMainLike,
  dispatch: Dispatch,
  isTrusted: (event: IpcSender) => boolean,
  onRefused?: (channel: string, event: IpcSender) => void,
  release?: (caller: Caller) => void,
): () => void {
  const callers = new Map<number, Caller>();
  const callerOf = (sender: IpcCallEvent['sender']): Caller => {
    let caller = callers.get(sender.id);
    if (!caller) {
      const known: Caller = { id: `webcontents-${sender.id}` };
      caller = known;
      callers.set(sender.id, known);
      const gone = (): void => {
        if (callers.get(sender.id) === known) callers.delete(sender.id);
        release?.(known);
      };
      sender.once?.('destroyed', gone);
      // A reload or navigation starts a new page: the old page's follows are orphaned.
      sender.on?.('did-navigate', () => release?.(known));
    }
    return caller;
  };
  for (const channel of CALL_CHANNELS) {
    ipcMain.handle(channel, async (event, request) => {
      if (!isTrusted(event)) {
        onRefused?.(channel, event);
        return { ok: false, error: { code: 'FORBIDDEN', message: `${channel}: sender is not an Experiment Manager window` } };
      }
      return dispatch(channel, request, callerOf(event.sender));
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
