import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { startUiServer, type UiServer } from '../../src/server/ui-server.js';
import { tempDataDir } from '../helpers/data-dir.js';

let server: UiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function client(s: UiServer): Promise<{ ws: WebSocket; call: (channel: string, request: unknown) => Promise<unknown> }> {
  const host = `127.0.0.1:${s.port}`;
  const ws = new WebSocket(`ws://${host}/api/ws`, { headers: { host, origin: `http://${host}`, cookie: `expman-token-${s.port}=${s.token}` } });
  await new Promise((resolve) => ws.once('open', resolve));
  let next = 0;
  const call = (channel: string, request: unknown): Promise<unknown> =>
    new Promise((resolve) => {
      const id = ++next;
      const onMessage = (raw: Buffer): void => {
        const message = JSON.parse(raw.toString()) as { id?: number; result?: unknown };
        if (message.id !== id) return;
        ws.off('message', onMessage);
        resolve(message.result);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, channel, request }));
    });
  return { ws, call };
}

// Issue 12: logs:watch reference counts were global, so a client that went away kept its watchers forever.
describe('log follows are per connection', () => {
  test('a client that disconnects without unwatching releases its follows; others keep theirs', async () => {
    const data = tempDataDir(false);
    mkdirSync(join(data, 'experiments', 'e', 'models', 'm', 'logs'), { recursive: true });
    writeFileSync(join(data, 'experiments', 'e', 'models', 'm', 'logs', 'run.log'), 'line\n');
    server = await startUiServer({ focus: { dataDir: data }, rendererDir: data, host: '127.0.0.1', port: 0, token: 't'.repeat(32) });
    const a = await client(server);
    const b = await client(server);
    const run = { experiment: 'e', model: 'm' };
    await a.call('logs:watch', run);
    await a.call('logs:watch', run);
    await b.call('logs:watch', run);
    const follows = (): [string, number][] => [...server!.backend.follows().values()].flatMap((holders) => [...holders]);
    expect(follows()).toEqual([
      ['ws-1', 2],
      ['ws-2', 1],
    ]);
    // An unwatch from a client that holds nothing cannot release another client's follow.
    const c = await client(server);
    await c.call('logs:unwatch', run);
    await c.call('logs:unwatch', run);
    expect(follows()).toHaveLength(2);

    a.ws.terminate();
    await expect.poll(follows).toEqual([['ws-2', 1]]);
    b.ws.close();
    await expect.poll(() => server!.backend.follows().size).toBe(0);
    c.ws.close();
  });
});
