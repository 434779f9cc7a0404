import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CALL_CHANNELS } from '../../src/shared/api.js';
import { PushQueue, READY_CALL, registerApiHandlers, type IpcMainLike } from '../../src/main/ipc.js';
import { folderFromArgv } from '../../src/main/open-folder.js';
import { isTrustedSender, type IpcSender } from '../../src/main/security.js';
import { DEFAULT_WINDOW_STATE, fitToDisplays, loadWindowState, saveWindowState } from '../../src/main/window-state.js';

const APP = 'file:///opt/expman/out/renderer/index.html';
const sender = (id: number, url: string | null, parent: unknown = null): IpcSender => ({ sender: { id }, senderFrame: url === null ? null : { url, parent } });

describe('IPC sender validation', () => {
  const windows = new Set([7]);
  test('only the top frame of an app window showing the app is trusted', () => {
    expect(isTrustedSender(sender(7, APP), windows, APP)).toBe(true);
    expect(isTrustedSender(sender(7, 'file:///opt/expman/out/renderer/index.html#/runs/a/b'), windows, APP)).toBe(true);
    expect(isTrustedSender(sender(8, APP), windows, APP)).toBe(false);
    expect(isTrustedSender(sender(7, 'https://evil.example/'), windows, APP)).toBe(false);
    expect(isTrustedSender(sender(7, 'file:///etc/passwd'), windows, APP)).toBe(false);
    expect(isTrustedSender(sender(7, APP, {}), windows, APP)).toBe(false);
    expect(isTrustedSender(sender(7, null), windows, APP)).toBe(false);
  });
});

describe('registerApiHandlers', () => {
  function fakeIpc() {
    const handlers = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
    const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
    return { ipc, handlers };
  }

  test('registers one handler per call; untrusted senders never reach the backend', async () => {
    const { ipc, handlers } = fakeIpc();
    const seen: unknown[] = [];
    const refused: string[] = [];
    const ready: number[] = [];
    const off = registerApiHandlers(
      ipc,
      async (channel, request) => {
        seen.push([channel, request]);
        return { ok: true, value: 'done' };
      },
      { isTrusted: (event) => event.sender.id === 1, onRefused: (channel) => refused.push(channel), onReady: (id) => ready.push(id) },
    );
    expect([...handlers.keys()].sort()).toEqual([...CALL_CHANNELS].sort());
    expect(await handlers.get('runs:list')!(sender(1, APP), { experiment: 'x' })).toEqual({ ok: true, value: 'done' });
    expect(await handlers.get('runs:stop')!(sender(2, APP), { jobId: 'job-1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(seen).toEqual([['runs:list', { experiment: 'x' }]]);
    expect(refused).toEqual(['runs:stop']);
    // The renderer's load-time focus call marks its window ready; an untrusted one does not.
    expect(ready).toEqual([]);
    await handlers.get(READY_CALL)!(sender(2, APP), {});
    await handlers.get(READY_CALL)!(sender(1, APP), {});
    expect(ready).toEqual([1]);
    off();
    expect(handlers.size).toBe(0);
  });

  test('each webContents is one caller; what it held is released when it is destroyed or navigates', async () => {
    const { ipc, handlers } = fakeIpc();
    const callers: string[] = [];
    const released: string[] = [];
    registerApiHandlers(
      ipc,
      async (_channel, _request, caller) => {
        callers.push(caller!.id);
        return { ok: true, value: null };
      },
      { isTrusted: () => true, release: (caller) => released.push(caller.id) },
    );
    const contents = new EventEmitter();
    const event = { sender: Object.assign(contents, { id: 5 }), senderFrame: { url: APP, parent: null } };
    await handlers.get('logs:watch')!(event, { experiment: 'e', model: 'm' });
    await handlers.get('logs:watch')!(event, { experiment: 'e', model: 'm' });
    await handlers.get('logs:watch')!(sender(6, APP), { experiment: 'e', model: 'm' });
    expect(callers).toEqual(['webcontents-5', 'webcontents-5', 'webcontents-6']);
    contents.emit('did-navigate');
    contents.emit('destroyed');
    expect(released).toEqual(['webcontents-5', 'webcontents-5']);
  });
});

describe('PushQueue', () => {
  const window = (id: number) => {
    const got: Array<[string, unknown]> = [];
    let destroyed = false;
    return { id, got, destroy: () => void (destroyed = true), isDestroyed: () => destroyed, send: (channel: string, payload: unknown) => void got.push([channel, payload]) };
  };
  const focus = (model: string) => ({ dataDir: '/d', experiment: 'e', model });

  test('holds pushes for a window until its renderer is ready, then sends them in order and the rest directly', () => {
    const pushes = new PushQueue();
    const loading = window(1);
    const loaded = window(2);
    pushes.ready(loaded);
    pushes.broadcast([loading, loaded], 'workspace:changed', focus('a'));
    pushes.broadcast([loading, loaded], 'app:command', { command: 'sync' });
    expect(loading.got).toEqual([]);
    expect(loaded.got).toEqual([
      ['workspace:changed', focus('a')],
      ['app:command', { command: 'sync' }],
    ]);
    pushes.ready(loading);
    expect(loading.got).toEqual(loaded.got);
    pushes.broadcast([loading], 'workspace:changed', focus('b'));
    expect(loading.got.at(-1)).toEqual(['workspace:changed', focus('b')]);
    pushes.ready(loading); // a second ready (a reload) sends nothing twice
    expect(loading.got).toHaveLength(3);
  });

  test('skips destroyed windows, keeps only the newest events for a page that never loads, and forgets closed windows', () => {
    const pushes = new PushQueue();
    const closed = window(1);
    closed.destroy();
    pushes.broadcast([closed], 'jobs:changed', { jobs: [], concurrency: 1 });
    pushes.ready(closed);
    expect(closed.got).toEqual([]);

    const stuck = window(2);
    for (let i = 0; i < PushQueue.MAX_HELD + 5; i++) pushes.broadcast([stuck], 'jobs:changed', { jobs: [], concurrency: i });
    pushes.ready(stuck);
    expect(stuck.got).toHaveLength(PushQueue.MAX_HELD);
    expect(stuck.got[0]).toEqual(['jobs:changed', { jobs: [], concurrency: 5 }]);

    const reopened = window(3);
    pushes.ready(reopened);
    pushes.forget(3);
    pushes.broadcast([reopened], 'app:command', { command: 'archive' });
    expect(reopened.got).toEqual([]);
  });
});

describe('folderFromArgv', () => {
  test('takes the first non-switch argument after the executable (and app path when unpackaged)', () => {
    expect(folderFromArgv(['/opt/expman/expman', '/data/exp'], true)).toBe('/data/exp');
    expect(folderFromArgv(['electron', '.', '--no-sandbox', 'experiments/a'], false)).toBe('experiments/a');
    expect(folderFromArgv(['/opt/expman/expman', '--allow-file-access-from-files', '--original-process-start-time=1'], true)).toBeUndefined();
    expect(folderFromArgv(['electron', '.'], false)).toBeUndefined();
  });
});

describe('window state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'expman-window-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const displays = [
    { x: 0, y: 0, width: 1920, height: 1040 },
    { x: 1920, y: 0, width: 1280, height: 1000 },
  ];

  test('is saved atomically and read back; a missing or damaged file gives the default', async () => {
    const file = join(dir, 'window-state.json');
    expect(await loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    const state = { bounds: { x: 2000, y: 50, width: 1000, height: 700 }, maximized: true };
    await saveWindowState(file, state);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(state);
    expect(await loadWindowState(file)).toEqual(state);
    writeFileSync(file, '{"bounds": {"x": "left"}');
    expect(await loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
  });

  test('keeps a remembered window on a display that still exists, within its work area', () => {
    expect(fitToDisplays({ bounds: { x: 2000, y: 50, width: 1000, height: 700 }, maximized: false }, displays)).toEqual({ x: 2000, y: 50, width: 1000, height: 700 });
    // Its monitor was unplugged: centred on the primary (no position), same size.
    expect(fitToDisplays({ bounds: { x: 4000, y: 50, width: 1000, height: 700 }, maximized: false }, displays)).toEqual({ width: 1000, height: 700 });
    // Larger than the display: shrunk to it; never below the minimum size.
    expect(fitToDisplays({ bounds: { x: 0, y: 0, width: 3000, height: 1500 }, maximized: false }, displays)).toEqual({ x: 0, y: 0, width: 1920, height: 1040 });
    expect(fitToDisplays({ bounds: { x: 10, y: 10, width: 100, height: 100 }, maximized: false }, displays)).toMatchObject({ width: 800, height: 600 });
    expect(fitToDisplays(DEFAULT_WINDOW_STATE, displays)).toEqual({ width: 1280, height: 800 });
  });
});
