import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventPayloads, WorkspaceFocus } from '../shared/api.js';
import { MAX_CONFIG_TEXT } from '../shared/config-requests.js';
import { CONTENT_SECURITY_POLICY } from '../shared/csp.js';
import { createBackend, type Backend } from '../core/api/backend.js';
import { toApiError } from '../core/api/dispatch.js';
import { accessPolicy, checkAccess, tokenCookie, type AccessPolicy } from './access.js';
import { readStatic, staticPath } from './static-files.js';

export interface UiServerOptions {
  focus: WorkspaceFocus;
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Fixed token (tests); default: 32 random bytes, new each launch. */
  token?: string;
  onInternalError?: (channel: string, error: unknown) => void;
  log?: (line: string) => void;
}

export interface UiServer {
  url: string;
  host: string;
  port: number;
  token: string;
  backend: Backend;
  close(): Promise<void>;
}

/** Messages over the WebSocket: calls carry an id the reply repeats; events are pushed to every client. */
interface CallMessage {
  id: number;
  channel: unknown;
  request: unknown;
}

/**
 * The largest WebSocket message accepted. It must admit every request the API's own schemas accept: the
 * biggest is config:validate with a 1 MiB text, which JSON may escape to 6 bytes a character
 * (`\u0001`), plus its overrides; anything larger closes that one connection with 1009.
 */
export const MAX_MESSAGE_BYTES = 16 * MAX_CONFIG_TEXT;
/** A client that has not answered a ping within this long is gone (half-open TCP): drop it. */
const HEARTBEAT_MS = 30_000;
/** A client that reads this much slower than we push is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 64 << 20;

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  res.end(`${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not found'}: ${reason}\n`);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = status === 401 ? 'Unauthorized' : 'Forbidden';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\n`);
}

/** The request's URL, or undefined when it does not parse (a raw client can send anything). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://x');
  } catch {
    return undefined;
  }
}

function requestPath(req: IncomingMessage): string | undefined {
  return requestUrl(req)?.pathname;
}

function parseCall(data: string): CallMessage | undefined {
  try {
    const value = JSON.parse(data) as Partial<CallMessage>;
    if (typeof value !== 'object' || value === null || typeof value.id !== 'number') return undefined;
    return { id: value.id, channel: value.channel, request: value.request };
  } catch {
    return undefined;
  }
}

/**
 * `expman ui`: the renderer and the same API as the desktop app, over HTTP + WebSocket on a loopback
 * address, guarded by a per-launch token, Host and Origin checks (see access.ts).
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const clients = new Set<WebSocket>();
  /** Known once the port is: the Host names to accept contain it. */
  const access: { policy?: AccessPolicy } = {};

  const emit = <E extends keyof EventPayloads>(event: E, payload: EventPayloads[E]): void => {
    let text: string;
    try {
      text = JSON.stringify({ event, payload });
    } catch (error) {
      // An event JSON cannot carry is a bug to log, not a reason to fail whoever emitted it.
      options.onInternalError?.(event, error);
      return;
    }
    for (const client of clients) send(client, text);
  };
  const backend = createBackend({
    focus: options.focus,
    transport: 'browser',
    emit,
    onInternalError: options.onInternalError,
    ...(options.log ? { log: options.log } : {}),
  });

  /** Per-connection state (log follows) is released when its socket goes, however it goes. */
  let connections = 0;
  const send = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.close(1008, 'client reads too slowly');
      return;
    }
    ws.send(text);
  };
  const reply = (ws: WebSocket, id: number, result: unknown): void => {
    let text: string;
    try {
      text = JSON.stringify({ id, result });
    } catch (error) {
      // A value JSON cannot carry is a bug in a handler; the caller still gets an answer.
      options.onInternalError?.('ws', error);
      text = JSON.stringify({ id, result: { ok: false, error: toApiError(error) } });
    }
    send(ws, text);
  };

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const decision = checkAccess(access.policy!, req);
    if (!decision.ok) return refuse(res, decision.status, decision.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 403, `${req.method} is not allowed`);
    const url = requestUrl(req);
    if (!url) return refuse(res, 404, 'malformed URL');
    if (decision.via === 'query') {
      // First visit with the printed URL: keep the token in a cookie and take it out of the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, { Location: `${url.pathname}${url.search}`, 'Set-Cookie': tokenCookie(access.policy!), ...SECURITY_HEADERS });
      res.end();
      return;
    }
    const path = staticPath(options.rendererDir, url.pathname);
    const file = path ? await readStatic(path) : undefined;
    if (!file) return refuse(res, 404, url.pathname);
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      'Cache-Control': file.type.startsWith('text/html') ? 'no-store' : 'private, max-age=3600',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };

  // Node checks request timeouts every connectionsCheckingInterval (default 30 s): check often enough
  // that a half-open request is dropped soon after headersTimeout.
  const server = createServer({ connectionsCheckingInterval: 2_000 }, (req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      options.onInternalError?.('http', error);
      if (!res.headersSent) refuse(res, 404, 'error');
      else res.destroy();
    });
  });
  // Slow or half-open clients (slowloris) cannot hold sockets open for long: the UI's requests are small.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  // A malformed request (bad syntax, oversized headers) gets its 4xx and only that socket is closed.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    // Destroyed once the answer is flushed: the server's sockets allow half-open, and a client that keeps
    // writing (slowloris) would otherwise hold it.
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    // Node hands the socket over without its own error handler: a reset must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const decision = checkAccess(access.policy!, req);
    if (!decision.ok) return refuseUpgrade(socket, decision.status, decision.reason);
    if (requestPath(req) !== '/api/ws') return refuseUpgrade(socket, 403, 'not an API endpoint');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const caller = { id: `ws-${++connections}` };
      clients.add(ws);
      // The data folder is watched while a client is connected (one watcher however many).
      const detach = backend.attachClient();
      let alive = true;
      ws.on('pong', () => (alive = true));
      const heartbeat = setInterval(() => {
        if (!alive) return void ws.terminate();
        alive = false;
        ws.ping();
      }, HEARTBEAT_MS);
      heartbeat.unref();
      ws.on('close', () => {
        clearInterval(heartbeat);
        clients.delete(ws);
        backend.release(caller);
        detach();
      });
      // Protocol faults (bad UTF-8, unmasked or oversized frames, bad opcodes or close codes…): ws has
      // already closed this connection with the matching code (1002, 1007, 1009); nothing else is affected.
      ws.on('error', () => undefined);
      ws.on('message', (data, isBinary) => {
        const message = isBinary ? undefined : parseCall((data as Buffer).toString('utf8'));
        if (!message) {
          ws.close(1003, 'expected {id, channel, request} JSON');
          return;
        }
        backend.dispatch(message.channel, message.request, caller).then(
          (result) => reply(ws, message.id, result),
          (error: unknown) => {
            options.onInternalError?.('ws', error);
            reply(ws, message.id, { ok: false, error: toApiError(error) });
          },
        );
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  access.policy = accessPolicy(token, options.host, port);
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host: options.host,
    port,
    token,
    backend,
    close: async () => {
      for (const client of clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
