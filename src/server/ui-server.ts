import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventPayloads, WorkspaceFocus } from '../shared/api.js';
import { CONTENT_SECURITY_POLICY } from '../shared/csp.js';
import { createBackend, type Backend } from '../core/api/backend.js';
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
    const text = JSON.stringify({ event, payload });
    for (const client of clients) if (client.readyState === client.OPEN) client.send(text);
  };
  const backend = createBackend({
    focus: options.focus,
    transport: 'browser',
    emit,
    onInternalError: options.onInternalError,
    ...(options.log ? { log: options.log } : {}),
  });

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const decision = checkAccess(access.policy!, req);
    if (!decision.ok) return refuse(res, decision.status, decision.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 403, `${req.method} is not allowed`);
    const url = new URL(req.url ?? '/', 'http://x');
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

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      options.onInternalError?.('http', error);
      if (!res.headersSent) refuse(res, 404, 'error');
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });

  server.on('upgrade', (req, socket, head) => {
    const decision = checkAccess(access.policy!, req);
    if (!decision.ok) return refuseUpgrade(socket, decision.status, decision.reason);
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/ws') return refuseUpgrade(socket, 403, 'not an API endpoint');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      // The data folder is watched while a client is connected (one watcher however many).
      const release = backend.attachClient();
      ws.on('close', () => {
        clients.delete(ws);
        release();
      });
      ws.on('message', (data, isBinary) => {
        const message = isBinary ? undefined : parseCall((data as Buffer).toString('utf8'));
        if (!message) {
          ws.close(1003, 'expected {id, channel, request} JSON');
          return;
        }
        void backend.dispatch(message.channel, message.request).then((result) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: message.id, result }));
        });
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
