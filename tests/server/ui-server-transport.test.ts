import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { cliBundle, testLogDir } from '../helpers/data-dir.js';

/**
 * Issue 11 #3 and #9 against a real `expman ui` process: one bad frame, request or pattern costs only the
 * connection (or call) that sent it; the server lives on and keeps answering everyone else.
 */
let server: ChildProcess;
let data: string;
let port: number;
let token: string;
let stderr = '';

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'expman-transport-'));
  mkdirSync(join(data, 'datasets'), { recursive: true });
  mkdirSync(join(data, 'experiments', 'e', 'models', 'm', 'logs'), { recursive: true });
  const line = `[2026-12-04 10:00:00.000] [info] ${'a'.repeat(40)}`;
  writeFileSync(join(data, 'experiments', 'e', 'models', 'm', 'logs', 'run.log'), `${line}\n`.repeat(20));
  server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const info = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout! }).once('line', (text) => resolve(JSON.parse(text)));
  });
  port = info.port;
  token = new URL(info.url).searchParams.get('token')!;
});

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
});

const host = (): string => `127.0.0.1:${port}`;
const cookie = (): string => `expman-token-${port}=${token}`;
const alive = (): boolean => server.exitCode === null && server.signalCode === null;

/** A well-behaved client (the `ws` library): one API call, its result. */
async function call(channel: string, request: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  const ws = new WebSocket(`ws://${host()}/api/ws`, { headers: { host: host(), origin: `http://${host()}`, cookie: cookie() } });
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return await new Promise((resolve, reject) => {
      ws.on('message', (raw: Buffer) => {
        const message = JSON.parse(raw.toString()) as { id?: number; result?: never };
        if (message.id === 1) resolve(message.result!);
      });
      ws.once('close', () => reject(new Error('closed before the answer')));
      ws.send(JSON.stringify({ id: 1, channel, request }));
    });
  } finally {
    ws.terminate();
  }
}

/** A raw TCP client past the WebSocket handshake (with the auth cookie), sending hand-built frames. */
async function rawSocket(): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (buffer = Buffer.concat([buffer, chunk])));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `GET /api/ws HTTP/1.1\r\nHost: ${host()}\r\nCookie: ${cookie()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  while (!buffer.includes('\r\n\r\n')) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(buffer.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
  const headEnd = buffer.indexOf('\r\n\r\n') + 4;
  buffer = buffer.subarray(headEnd);
  return { socket, received: () => buffer, closed };
}

interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  masked?: boolean;
  /** Claimed payload length, when it should differ from the payload's (absurd length headers). */
  length?: bigint;
}

function frame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0), masked = true, length }: FrameSpec): Buffer {
  const claimed = length ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = masked ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (claimed < 126n) head.push(maskBit | Number(claimed));
  else if (claimed < 65536n) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(Number(claimed));
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(claimed);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), extended, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), extended, mask, body]);
}

/** The close code of the server's close frame (unmasked, first thing it sends here), once it closed. */
async function closeCode(sent: Buffer): Promise<number | undefined> {
  const raw = await rawSocket();
  raw.socket.write(sent);
  await Promise.race([raw.closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
  raw.socket.destroy();
  const bytes = raw.received();
  if (bytes.length < 4 || (bytes[0]! & 0x0f) !== 0x8) return undefined;
  return bytes.readUInt16BE(2);
}

const closePayload = (code: number): Buffer => {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(code);
  return buf;
};

describe('expman ui survives a hostile WebSocket client', () => {
  const cases: [string, Buffer, number][] = [
    ['an unmasked frame', frame({ opcode: 1, payload: Buffer.from('{}'), masked: false }), 1002],
    ['a reserved opcode', frame({ opcode: 3, payload: Buffer.from('x') }), 1002],
    ['RSV bits without an extension', frame({ opcode: 1, rsv: 4, payload: Buffer.from('{}') }), 1002],
    ['invalid UTF-8 in a text frame', frame({ opcode: 1, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) }), 1007],
    ['an invalid close code', frame({ opcode: 8, payload: closePayload(999) }), 1002],
    ['a fragmented control frame', frame({ opcode: 9, fin: false, payload: Buffer.from('p') }), 1002],
    ['a control frame over 125 bytes', frame({ opcode: 9, payload: Buffer.alloc(126) }), 1002],
    ['an absurd 64-bit length header', frame({ opcode: 2, length: 1n << 62n }), 1009],
    ['a frame over the size limit', frame({ opcode: 1, length: 64n << 20n }), 1009],
    ['a continuation with nothing to continue', frame({ opcode: 0, payload: Buffer.from('x') }), 1002],
  ];
  for (const [name, bytes, code] of cases) {
    test(`${name}: that connection is closed with ${code}; the server answers the next client`, async () => {
      expect(await closeCode(bytes)).toBe(code);
      expect(alive()).toBe(true);
      expect(await call('workspace:focus', {})).toMatchObject({ ok: true, value: { dataDir: data } });
    });
  }

  test('a schema-valid 1 MiB config:validate is answered (the API limit fits the transport limit)', async () => {
    const text = `# ${'\u0001'.repeat((1 << 20) - 3)}`;
    const result = await call('config:validate', { experiment: 'e', text });
    expect(result.ok).toBe(true);
    expect(alive()).toBe(true);
  });

  test('malformed HTTP: bad request line, oversized headers, an unparsable upgrade target', async () => {
    const exchange = async (request: string): Promise<string> => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      let got = '';
      socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(request);
      await new Promise((resolve) => socket.once('close', resolve));
      return got;
    };
    expect(await exchange('BLAH\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await exchange(`GET / HTTP/1.1\r\nHost: ${host()}\r\nX: ${'a'.repeat(64 << 10)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    const upgrade = `GET //[ HTTP/1.1\r\nHost: ${host()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    expect(await exchange(upgrade)).toMatch(/^HTTP\/1\.1 401/);
    expect(await exchange(upgrade.replace('Upgrade: websocket', `Cookie: ${cookie()}\r\nUpgrade: websocket`))).toMatch(/^HTTP\/1\.1 403/);
    expect(alive()).toBe(true);
    expect(await call('workspace:focus', {})).toMatchObject({ ok: true });
  });

  test('a catastrophic regex search: other clients are answered meanwhile; it ends with "pattern too slow"', async () => {
    const started = performance.now();
    const search = call('logs:search', { experiment: 'e', model: 'm', request: { pattern: '(.|.)*\\u0001', regex: true, caseSensitive: false } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = performance.now();
    expect(await call('workspace:focus', {})).toMatchObject({ ok: true });
    expect(performance.now() - before).toBeLessThan(1000);
    const result = await search;
    expect(result).toMatchObject({ ok: false, error: { code: 'LOG_PATTERN', message: expect.stringMatching(/^pattern too slow: /) } });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(alive()).toBe(true);
  }, 30_000);

  test('fuzz: random and malformed frames for 15 s; then the server still answers and a slowloris socket was dropped', async () => {
    const slowloris = connect(port, '127.0.0.1');
    slowloris.on('error', () => undefined);
    const slowClosed = new Promise<void>((resolve) => slowloris.once('close', () => resolve()));
    slowloris.write(`GET / HTTP/1.1\r\nHost: ${host()}\r\n`);
    const trickle = setInterval(() => slowloris.writable && slowloris.write('X-a: b\r\n'), 1000);

    const randomFrame = (): Buffer => {
      const roll = Math.random();
      if (roll < 0.25) return randomBytes(1 + Math.floor(Math.random() * 64));
      const payload = Math.random() < 0.5 ? randomBytes(Math.floor(Math.random() * 300)) : Buffer.from(JSON.stringify({ id: 7, channel: 'workspace:focus', request: {} }));
      return frame({
        opcode: Math.floor(Math.random() * 16),
        fin: Math.random() < 0.8,
        rsv: Math.random() < 0.1 ? Math.floor(Math.random() * 8) : 0,
        masked: Math.random() < 0.9,
        payload,
        ...(Math.random() < 0.1 ? { length: BigInt(Math.floor(Math.random() * 2 ** 40)) } : {}),
      });
    };
    const deadline = Date.now() + 15_000;
    let connections = 0;
    const worker = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const raw = await rawSocket();
        connections++;
        for (let i = 0; i < 1 + Math.floor(Math.random() * 8) && !raw.socket.destroyed; i++) {
          raw.socket.write(randomFrame());
          await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.race([raw.closed, new Promise((resolve) => setTimeout(resolve, 50))]);
        raw.socket.destroy();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    clearInterval(trickle);
    expect(connections).toBeGreaterThan(50);
    expect(alive()).toBe(true);
    expect(await call('workspace:focus', {})).toMatchObject({ ok: true, value: { dataDir: data } });
    // headersTimeout (10 s, checked every 2 s) ends a request whose headers never finish.
    await Promise.race([slowClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('slowloris socket still open')), 10_000))]);
    expect(stderr).not.toMatch(/Uncaught|TypeError|RangeError/);
  }, 60_000);
});
