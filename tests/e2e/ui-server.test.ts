import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { cliBundle, irisCsv, testLogDir } from '../helpers/data-dir.js';

let server: ChildProcess;
let browser: Browser;
let data: string;
let info: { url: string; port: number; host: string; dataDir: string };

/** A raw HTTP GET with full control of the headers (fetch would not let a test forge Host). */
function get(path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: info.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsStatus(headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${info.port}/api/ws`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

beforeAll(async () => {
  // Not tempDataDir(): that one is removed after each test, and this folder serves the whole file.
  data = mkdtempSync(join(tmpdir(), 'expman-e2e-'));
  mkdirSync(join(data, 'datasets', 'external'), { recursive: true });
  cpSync(irisCsv, join(data, 'datasets', 'external', 'iris.csv'));
  mkdirSync(join(data, 'experiments', 'iris-wide'), { recursive: true });
  writeFileSync(join(data, 'experiments', 'iris-wide', 'config.toml'), '[model]\nhidden_units = [32, 32]\n');
  server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  info = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

describe('expman ui in a real browser', () => {
  test('prints a loopback URL with a per-launch token', () => {
    expect(info.host).toBe('127.0.0.1');
    expect(info.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${info.port}/\\?token=[A-Za-z0-9_-]{40,}$`));
  });

  test('the page opens with the token, drops it from the address bar, and shows the experiments', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(info.url);
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    const list = page.getByTestId('experiments-list');
    await expect.poll(() => list.locator('[data-experiment]').evaluateAll((els) => els.map((e) => e.getAttribute('data-experiment')))).toEqual(['default', 'iris-wide']);
    await expect.poll(() => page.getByTestId('data-folder').textContent()).toBe(info.dataDir);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('requests without the token are refused (401), with a foreign Host or Origin too (403)', async () => {
    const host = `127.0.0.1:${info.port}`;
    const token = new URL(info.url).searchParams.get('token')!;
    expect((await get('/', { host })).status).toBe(401);
    expect((await get('/assets/', { host })).status).toBe(401);
    expect((await get(`/?token=${token}`, { host: `rebind.example:${info.port}` })).status).toBe(403);
    const first = await get(`/?token=${token}`, { host });
    expect(first.status).toBe(303);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get('/', { host, cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect((await get('/%2e%2e/%2e%2e/package.json', { host, cookie })).status).toBe(404);
    expect((await get('/', { host, cookie, origin: 'http://evil.example' })).status).toBe(403);

    expect(await wsStatus({ host })).toBe(401);
    expect(await wsStatus({ host, cookie, origin: 'http://evil.example' })).toBe(403);
    expect(await wsStatus({ host, cookie, origin: `http://${host}` })).toBe('open');
  });

  test('the WebSocket API validates its arguments and answers with typed errors', async () => {
    const host = `127.0.0.1:${info.port}`;
    const token = new URL(info.url).searchParams.get('token')!;
    const ws = new WebSocket(`ws://${host}/api/ws`, { headers: { host, origin: `http://${host}`, cookie: `expman-token-${info.port}=${token}` } });
    await new Promise((r) => ws.once('open', r));
    const call = (id: number, channel: string, req: unknown) =>
      new Promise<any>((resolve) => {
        ws.on('message', (data: Buffer) => {
          const msg = JSON.parse(data.toString());
          if (msg.id === id) resolve(msg.result);
        });
        ws.send(JSON.stringify({ id, channel, request: req }));
      });
    expect(await call(1, 'runs:get', { experiment: '../..', model: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { key: 'experiment' } } });
    expect(await call(2, 'shell:reveal', { path: 'datasets' })).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED', message: 'revealing files needs the desktop app' } });
    expect(await call(3, 'experiments:list', {})).toMatchObject({ ok: true, value: [{ name: 'default' }, { name: 'iris-wide', hasConfig: true }] });
    ws.close();
  });
});
