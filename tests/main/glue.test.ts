import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CALL_CHANNELS } from '../../src/shared/api.js';
import { broadcast, registerApiHandlers, type IpcMainLike } from '../../src/main/ipc.js';
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
    const off = registerApiHandlers(
      ipc,
      async (channel, request) => {
        seen.push([channel, request]);
        return { ok: true, value: 'done' };
      },
      (event) => event.sender.id === 1,
      (channel) => refused.push(channel),
    );
    expect([...handlers.keys()].sort()).toEqual([...CALL_CHANNELS].sort());
    expect(await handlers.get('runs:list')!(sender(1, APP), { experiment: 'x' })).toEqual({ ok: true, value: 'done' });
    expect(await handlers.get('runs:stop')!(sender(2, APP), { jobId: 'job-1' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(seen).toEqual([['runs:list', { experiment: 'x' }]]);
    expect(refused).toEqual(['runs:stop']);
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
      () => true,
      undefined,
      (caller) => released.push(caller.id),
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

  test('broadcast skips destroyed windows', () => {
    const got: string[] = [];
    const target = (name: string, destroyed: boolean) => ({ isDestroyed: () => destroyed, send: (channel: string) => void got.push(`${name}:${channel}`) });
    broadcast([target('a', false), target('b', true)], 'jobs:changed', { jobs: [], concurrency: 1 });
    expect(got).toEqual(['a:jobs:changed']);
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
