import { CALL_CHANNELS, type ApiResult, type CallChannel, type EventChannel, type EventPayloads } from '../shared/api.js';
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

/** A window the app pushes events to (its WebContents). */
export interface EventTarget {
  /** The WebContents id, as in an IPC event's `sender.id`. */
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/**
 * The call a renderer makes once on load, after it has subscribed to every pushed event: it asks which
 * folder to show (WorkspaceProvider). Its arrival is the window's "ready" (see PushQueue).
 */
export const READY_CALL: CallChannel = 'workspace:focus';

export interface ApiHandlerOptions {
  /** Whether a message comes from one of the app's own windows showing the app. */
  isTrusted: (event: IpcSender) => boolean;
  onRefused?: (channel: string, event: IpcSender) => void;
  /** A trusted window made READY_CALL: its renderer listens now. */
  onReady?: (senderId: number) => void;
  /** What a page held (log follows) is released when it goes: window closed, reload, navigation. */
  release?: (caller: Caller) => void;
}

/**
 * Registers one handler per call in the contract. Messages from anything but the app's own windows are
 * answered with FORBIDDEN and never reach the backend; everything else goes through the dispatcher, which
 * validates the request against the call's schema. Each webContents is one caller: what its page held
 * (log follows) is handed to `release` when the page goes (window closed, reload, navigation).
 */
export function registerApiHandlers(ipcMain: IpcMainLike, dispatch: Dispatch, options: ApiHandlerOptions): () => void {
  const release = options.release;
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
      if (!options.isTrusted(event)) {
        options.onRefused?.(channel, event);
        return { ok: false, error: { code: 'FORBIDDEN', message: `${channel}: sender is not an Experiment Manager window` } };
      }
      if (channel === READY_CALL) options.onReady?.(event.sender.id);
      return dispatch(channel, request, callerOf(event.sender));
    });
  }
  return () => {
    for (const channel of CALL_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/**
 * Pushes events to the app's windows, holding them for a window until its renderer is ready (as
 * electron/fiddle's ipc manager does). A window is created and loads its page in the background; an
 * event sent before the page has subscribed is lost — the folder opened at launch or from a second
 * instance, a menu command that opened the window. Held events go out, in order, when the window makes
 * READY_CALL. A page that never gets there (it crashed) keeps only the newest MAX_HELD events: on load it
 * pulls the current state anyway, so older ones carry nothing it needs. A reload keeps the window ready,
 * for the same reason.
 */
export class PushQueue {
  static readonly MAX_HELD = 1000;
  private readonly readyIds = new Set<number>();
  private readonly held = new Map<number, Array<[EventChannel, unknown]>>();

  /** Sends an event to every live target; targets whose renderer is not ready yet get it later. */
  broadcast<E extends EventChannel>(targets: Iterable<EventTarget>, channel: E, payload: EventPayloads[E]): void {
    for (const target of targets) {
      if (target.isDestroyed()) continue;
      if (this.readyIds.has(target.id)) {
        target.send(channel, payload);
        continue;
      }
      const queue = this.held.get(target.id) ?? [];
      queue.push([channel, payload]);
      if (queue.length > PushQueue.MAX_HELD) queue.shift();
      this.held.set(target.id, queue);
    }
  }

  /** The target's renderer listens: send what was held for it, then send directly from now on. */
  ready(target: EventTarget): void {
    this.readyIds.add(target.id);
    const queue = this.held.get(target.id) ?? [];
    this.held.delete(target.id);
    for (const [channel, payload] of queue) if (!target.isDestroyed()) target.send(channel, payload);
  }

  /** The window is gone (WebContents ids are not reused within a run; this only frees memory). */
  forget(id: number): void {
    this.readyIds.delete(id);
    this.held.delete(id);
  }
}
