// HTTP server of the log viewer benchmark: static files of the built page, and the LogSource calls
// answered by the real core LogIndex (bundled by bench/ui-logs.mjs with esbuild).
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { LogIndex } from '../src/core/logs/log-index.js';
import { logReadRequestSchema, logSearchRequestSchema } from '../src/shared/logs.js';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

export interface LogServer {
  url: string;
  /** Milliseconds from the first request for the log until its index was complete (the index is built
   * progressively: reads are answered before that); undefined when no page asked for the log. */
  indexMs(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** `preindex`: build the index before serving, as the app's main process has when it followed a run's
 * log while the run wrote it. */
export async function serveLog(logFile: string, staticDir: string, { preindex = false } = {}): Promise<LogServer> {
  let index: Promise<LogIndex> | undefined;
  let indexMs: Promise<number> | undefined;
  const open = (): Promise<LogIndex> =>
    (index ??= (async () => {
      const started = performance.now();
      const opened = await LogIndex.open(logFile);
      indexMs = opened.indexed().then(() => performance.now() - started);
      return opened;
    })());

  if (preindex) {
    await open();
    await indexMs;
  }

  const server: Server = createServer((request, response) => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/api/file') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      createReadStream(logFile).pipe(response);
      return;
    }
    if (url.pathname === '/api/read' || url.pathname === '/api/search') {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        (async () => {
          const log = await open();
          const input: unknown = JSON.parse(body);
          if (url.pathname === '/api/read') return log.read(logReadRequestSchema.parse(input));
          return log.search(logSearchRequestSchema.parse(input));
        })().then(
          (result) => reply(200, result),
          (error: unknown) => reply(400, { error: error instanceof Error ? error.message : String(error) }),
        );
      });
      return;
    }
    const path = normalize(join(staticDir, url.pathname === '/' ? 'logs.html' : url.pathname));
    if (!path.startsWith(staticDir)) return reply(403, { error: 'outside the page folder' });
    fs.readFile(path).then(
      (data) => {
        response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
        response.end(data);
      },
      () => reply(404, { error: `${url.pathname}: not found` }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    indexMs: async () => {
      await index;
      return indexMs;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
