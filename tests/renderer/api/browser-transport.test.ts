import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createBrowserBridge } from '../../../src/renderer/src/api/browser-transport';
import type { ApiResult } from '../../../src/shared/api';

/** A WebSocket the test drives: it records what the transport sends and opens, answers and drops on cue. */
class FakeSocket {
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  readonly sent: Array<{ id: number; channel: string; request: unknown }> = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text) as { id: number; channel: string; request: unknown });
  }
  open(): void {
    this.onopen?.();
  }
  answerAll(): void {
    for (const { id } of this.sent.splice(0)) this.onmessage?.({ data: JSON.stringify({ id, result: { ok: true, value: null } }) });
  }
  push(event: string, payload: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ event, payload }) });
  }
  drop(): void {
    this.onclose?.();
  }
}

let sockets: FakeSocket[];
const bridge = () =>
  createBrowserBridge('ws://127.0.0.1:1/api/ws', () => {
    const socket = new FakeSocket();
    sockets.push(socket);
    return socket as unknown as WebSocket;
  });

beforeEach(() => {
  sockets = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

test('after a drop the transport reconnects, replays the log watches still held and says the connection is back', async () => {
  const api = bridge();
  const restored = vi.fn();
  const changes: unknown[] = [];
  api.onConnectionRestored(restored);
  api.onLogsChanged((change) => changes.push(change));
  expect(sockets).toHaveLength(1);
  sockets[0]!.open();
  expect(restored).not.toHaveBeenCalled(); // the first connection is not a restore

  const m = { experiment: 'e', model: 'm' };
  const n = { experiment: 'e', model: 'n' };
  const calls = [api.logsWatch(m), api.logsWatch(m), api.logsWatch(n)];
  await vi.advanceTimersByTimeAsync(0);
  sockets[0]!.answerAll();
  await Promise.all(calls);
  const unwatch = api.logsUnwatch(n);
  await vi.advanceTimersByTimeAsync(0);
  sockets[0]!.answerAll();
  await unwatch;

  // A call in flight when the connection drops fails at once, with a code the UI can show.
  const lost = api.logsRead({ ...m, request: { from: 0, count: 10 } });
  await vi.advanceTimersByTimeAsync(0);
  sockets[0]!.drop();
  expect(((await lost) as ApiResult<unknown> & { ok: false }).error.code).toBe('DISCONNECTED');

  await vi.advanceTimersByTimeAsync(300);
  expect(sockets).toHaveLength(2);
  sockets[1]!.open();
  // e/m was watched twice and is replayed twice (the server counts per connection); e/n was unwatched.
  expect(sockets[1]!.sent.map((s) => [s.channel, s.request])).toEqual([
    ['logs:watch', m],
    ['logs:watch', m],
  ]);
  expect(restored).toHaveBeenCalledTimes(1);
  sockets[1]!.push('logs:changed', { ...m, info: { totalLines: 3 } });
  expect(changes).toEqual([{ ...m, info: { totalLines: 3 } }]);
});

test('a watch asked for while the connection is down is sent once when it is back, not replayed twice', async () => {
  const api = bridge();
  api.onConnectionRestored(() => undefined);
  sockets[0]!.open();
  sockets[0]!.drop();
  const watch = api.logsWatch({ experiment: 'e', model: 'm' });
  await vi.advanceTimersByTimeAsync(300);
  sockets[1]!.open();
  await vi.advanceTimersByTimeAsync(0);
  expect(sockets[1]!.sent.map((s) => s.channel)).toEqual(['logs:watch']);
  sockets[1]!.answerAll();
  await watch;
  // And it counts as held: the next reconnect replays it.
  sockets[1]!.drop();
  await vi.advanceTimersByTimeAsync(600);
  sockets[2]!.open();
  expect(sockets[2]!.sent.map((s) => s.channel)).toEqual(['logs:watch']);
});
