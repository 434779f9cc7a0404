import { buildBridge, type ApiResult, type BridgeApi, type CallChannel, type EventChannel } from '../../../shared/api';

interface Pending {
  resolve: (result: ApiResult<unknown>) => void;
}

/** The part of the browser's WebSocket the transport uses (tests pass a fake). */
export type SocketFactory = (url: string) => WebSocket;

/**
 * The API over `expman ui`'s WebSocket (same origin; the token travels in the HttpOnly cookie the server
 * set on first visit). Calls made while (re)connecting wait for the connection; a dropped connection is
 * re-established with backoff, and calls in flight when it dropped fail with a DISCONNECTED error.
 *
 * The server keeps log watches per connection and forgets them when it drops, so after a reconnect the
 * transport sends `logs:watch` again for every watch still held, then tells the views
 * (`connection:restored`) so they read what the lost pushes would have told them.
 */
export function createBrowserBridge(
  url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`,
  openSocket: SocketFactory = (u) => new WebSocket(u),
): BridgeApi {
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const pending = new Map<number, Pending>();
  /** Log watches held by the views: request JSON → how many (`logs:watch` calls not yet unwatched). */
  const watches = new Map<string, number>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let ready: Promise<WebSocket> | undefined;
  let retryMs = 250;
  let everOpen = false;

  const emit = (channel: EventChannel, payload: unknown): void => {
    for (const listener of listeners.get(channel) ?? []) listener(payload);
  };

  const send = (ws: WebSocket, channel: CallChannel, request: unknown): Promise<ApiResult<unknown>> => {
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      ws.send(JSON.stringify({ id, channel, request }));
    });
  };

  const restored = (ws: WebSocket): void => {
    for (const [key, count] of watches) for (let i = 0; i < count; i++) void send(ws, 'logs:watch', JSON.parse(key));
    emit('connection:restored', {});
  };

  const connect = (): Promise<WebSocket> => {
    ready ??= new Promise<WebSocket>((resolve) => {
      const ws = openSocket(url);
      ws.onopen = () => {
        retryMs = 250;
        socket = ws;
        resolve(ws);
        if (everOpen) restored(ws);
        everOpen = true;
      };
      ws.onmessage = (message: MessageEvent<string>) => {
        const data = JSON.parse(message.data) as { id?: number; result?: ApiResult<unknown>; event?: EventChannel; payload?: unknown };
        if (data.id !== undefined && data.result) {
          pending.get(data.id)?.resolve(data.result);
          pending.delete(data.id);
        } else if (data.event) {
          emit(data.event, data.payload);
        }
      };
      ws.onclose = () => {
        socket = undefined;
        ready = undefined;
        for (const [id, call] of pending) {
          call.resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'lost the connection to expman ui; is it still running?' } });
          pending.delete(id);
        }
        setTimeout(() => void connect().then(resolve), retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
    return ready;
  };

  /** Counts the views' log watches, so a reconnect can replay the ones still held. */
  const track = (channel: CallChannel, request: unknown): void => {
    if (channel !== 'logs:watch' && channel !== 'logs:unwatch') return;
    const { experiment, model } = request as { experiment: string; model: string };
    const key = JSON.stringify({ experiment, model });
    const count = (watches.get(key) ?? 0) + (channel === 'logs:watch' ? 1 : -1);
    if (count > 0) watches.set(key, count);
    else watches.delete(key);
  };

  const invoke = async (channel: CallChannel, request: unknown): Promise<ApiResult<unknown>> => {
    const ws = socket ?? (await connect());
    // Counted as it is sent on this connection (after any replay on its opening, so never twice); one
    // whose answer is then lost to a drop is replayed on the next connection all the same.
    track(channel, request);
    return send(ws, channel, request);
  };

  const subscribe = (channel: EventChannel, listener: (payload: unknown) => void): (() => void) => {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
    void connect();
    return () => void set.delete(listener);
  };

  return buildBridge(invoke, subscribe);
}
