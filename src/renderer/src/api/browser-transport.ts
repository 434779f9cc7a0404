import { buildBridge, type ApiResult, type BridgeApi, type CallChannel, type EventChannel } from '../../../shared/api';

interface Pending {
  resolve: (result: ApiResult<unknown>) => void;
}

/**
 * The API over `expman ui`'s WebSocket (same origin; the token travels in the HttpOnly cookie the server
 * set on first visit). Calls made while (re)connecting wait for the connection; a dropped connection is
 * re-established with backoff, and calls in flight when it dropped fail with a DISCONNECTED error.
 */
export function createBrowserBridge(url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`): BridgeApi {
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let ready: Promise<WebSocket> | undefined;
  let retryMs = 250;

  const connect = (): Promise<WebSocket> => {
    ready ??= new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        retryMs = 250;
        socket = ws;
        resolve(ws);
      };
      ws.onmessage = (message: MessageEvent<string>) => {
        const data = JSON.parse(message.data) as { id?: number; result?: ApiResult<unknown>; event?: EventChannel; payload?: unknown };
        if (data.id !== undefined && data.result) {
          pending.get(data.id)?.resolve(data.result);
          pending.delete(data.id);
        } else if (data.event) {
          for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
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

  const invoke = async (channel: CallChannel, request: unknown): Promise<ApiResult<unknown>> => {
    const ws = socket ?? (await connect());
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      ws.send(JSON.stringify({ id, channel, request }));
    });
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
