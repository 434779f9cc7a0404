import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { accessPolicy, checkAccess, cookieValue, isLoopbackHost, tokenCookie } from '../../src/server/access.js';
import { staticPath } from '../../src/server/static-files.js';

const policy = accessPolicy('s3cret', '127.0.0.1', 8765);
const req = (headers: Record<string, string>, url = '/') => ({ headers, url });

describe('expman ui access rules', () => {
  test('the token opens the door, by query (first visit) or cookie', () => {
    expect(checkAccess(policy, req({ host: '127.0.0.1:8765' }, '/?token=s3cret'))).toEqual({ ok: true, via: 'query' });
    expect(checkAccess(policy, req({ host: 'localhost:8765', cookie: `a=b; ${tokenCookie(policy).split(';')[0]}` }))).toEqual({ ok: true, via: 'cookie' });
    expect(checkAccess(policy, req({ host: '127.0.0.1:8765' }))).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(policy, req({ host: '127.0.0.1:8765' }, '/?token=s3cre'))).toMatchObject({ ok: false, status: 401 });
    expect(checkAccess(policy, req({ host: '127.0.0.1:8765', cookie: 'expman-token-8765=nope' }))).toMatchObject({ ok: false, status: 401 });
  });

  test('a foreign Host is refused even with the token (DNS rebinding)', () => {
    expect(checkAccess(policy, req({ host: 'evil.example:8765' }, '/?token=s3cret'))).toMatchObject({ ok: false, status: 403 });
    expect(checkAccess(policy, req({ host: '127.0.0.1:9999' }, '/?token=s3cret'))).toMatchObject({ ok: false, status: 403 });
    expect(checkAccess(policy, req({}, '/?token=s3cret'))).toMatchObject({ ok: false, status: 403 });
  });

  test('a foreign or opaque Origin is refused even with the token (cross-site requests, WebSockets)', () => {
    const base = { host: '127.0.0.1:8765', cookie: 'expman-token-8765=s3cret' };
    expect(checkAccess(policy, req({ ...base, origin: 'http://127.0.0.1:8765' }))).toEqual({ ok: true, via: 'cookie' });
    expect(checkAccess(policy, req({ ...base, origin: 'http://evil.example' }))).toMatchObject({ ok: false, status: 403 });
    expect(checkAccess(policy, req({ ...base, origin: 'https://127.0.0.1:8765' }))).toMatchObject({ ok: false, status: 403 });
    expect(checkAccess(policy, req({ ...base, origin: 'null' }))).toMatchObject({ ok: false, status: 403 });
  });

  test('a non-loopback bind accepts its own name too; loopback detection', () => {
    const lan = accessPolicy('t', '192.168.1.5', 9000);
    expect(checkAccess(lan, req({ host: '192.168.1.5:9000' }, '/?token=t'))).toMatchObject({ ok: true });
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.5')).toBe(false);
  });

  test('the cookie is HttpOnly, SameSite=Strict and per port', () => {
    expect(tokenCookie(policy)).toBe('expman-token-8765=s3cret; HttpOnly; SameSite=Strict; Path=/');
    expect(cookieValue('x=1; expman-token-8765=abc%3D', 'expman-token-8765')).toBe('abc=');
    expect(cookieValue(undefined, 'x')).toBeUndefined();
  });
});

describe('static files of the renderer', () => {
  const root = mkdtempSync(join(tmpdir(), 'expman-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html>');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('serves files under the renderer folder only', () => {
    expect(staticPath(root, '/')).toBe(join(root, 'index.html'));
    expect(staticPath(root, '/assets/app.js')).toBe(join(root, 'assets', 'app.js'));
    for (const bad of ['/../package.json', '/%2e%2e/package.json', '/assets/../../x', '/.env', '/%00', '/%E0%A4%A']) {
      expect(staticPath(root, bad), bad).toBeUndefined();
    }
  });
});
