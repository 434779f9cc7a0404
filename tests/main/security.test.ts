import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  createCspHeadersHandler,
  createNavigationGuard,
  createWindowOpenHandler,
  denyPermissionCheck,
  denyPermissionRequest,
  externalHttpUrl,
  isAppUrl,
  withContentSecurityPolicy,
  type HeadersReceivedResponse,
} from '../../src/main/security.js';

const FILE_ENTRY = 'file:///opt/expman/resources/app/out/renderer/index.html';
const DEV_ENTRY = 'http://localhost:5173/';

/** A stand-in for an Electron navigation event that records whether it was cancelled. */
function fakeEvent(): { preventDefault: () => void; prevented: () => boolean } {
  let prevented = false;
  return {
    preventDefault: () => {
      prevented = true;
    },
    prevented: () => prevented,
  };
}

describe('permissions', () => {
  it.each(['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal'])('denies a %s request', (permission) => {
    const callback = vi.fn();
    denyPermissionRequest({}, permission, callback);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(callback).toHaveBeenCalledWith(false);
  });

  it('fails every permission check', () => {
    expect(denyPermissionCheck()).toBe(false);
  });
});

describe('isAppUrl', () => {
  it('accepts the dev server origin, any path', () => {
    expect(isAppUrl('http://localhost:5173/', DEV_ENTRY)).toBe(true);
    expect(isAppUrl('http://localhost:5173/src/main.tsx?t=1#x', DEV_ENTRY)).toBe(true);
  });

  it('rejects other origins, ports, schemes and hosts for a dev server entry', () => {
    expect(isAppUrl('http://localhost:5174/', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('http://localhost:5173.evil.example/', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('http://localhost@evil.example:5173/', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('file:///etc/passwd', DEV_ENTRY)).toBe(false);
  });

  it('accepts files inside the renderer directory for a file entry', () => {
    expect(isAppUrl(FILE_ENTRY, FILE_ENTRY)).toBe(true);
    expect(isAppUrl(`${FILE_ENTRY}#/runs`, FILE_ENTRY)).toBe(true);
    expect(isAppUrl('file:///opt/expman/resources/app/out/renderer/assets/index-abc.js', FILE_ENTRY)).toBe(true);
  });

  it('rejects files outside the renderer directory, including via .. segments', () => {
    expect(isAppUrl('file:///etc/passwd', FILE_ENTRY)).toBe(false);
    expect(isAppUrl('file:///opt/expman/resources/app/out/renderer-evil/index.html', FILE_ENTRY)).toBe(false);
    expect(isAppUrl('file:///opt/expman/resources/app/out/renderer/../../../../../etc/passwd', FILE_ENTRY)).toBe(false);
    expect(isAppUrl('file:///opt/expman/resources/app/out/renderer/%2e%2e/main/index.js', FILE_ENTRY)).toBe(false);
    expect(isAppUrl('file://otherhost/opt/expman/resources/app/out/renderer/index.html', FILE_ENTRY)).toBe(false);
    expect(isAppUrl('https://example.com/index.html', FILE_ENTRY)).toBe(false);
  });

  it('rejects unparsable URLs', () => {
    expect(isAppUrl('not a url', DEV_ENTRY)).toBe(false);
    expect(isAppUrl('', FILE_ENTRY)).toBe(false);
  });
});

describe('navigation guard (will-navigate)', () => {
  it('lets the window navigate within the app', () => {
    const onBlocked = vi.fn();
    const guard = createNavigationGuard(DEV_ENTRY, onBlocked);
    const event = fakeEvent();
    guard(event, 'http://localhost:5173/index.html');
    expect(event.prevented()).toBe(false);
    expect(onBlocked).not.toHaveBeenCalled();
  });

  it('lets a built app navigate to its own index.html', () => {
    const guard = createNavigationGuard(FILE_ENTRY);
    const event = fakeEvent();
    guard(event, FILE_ENTRY);
    expect(event.prevented()).toBe(false);
  });

  it.each([
    ['a web page', 'https://example.com/'],
    ['another local port', 'http://localhost:8080/'],
    ['a local file', 'file:///home/user/.ssh/id_rsa'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
  ])('prevents navigating to %s and reports it', (_what, url) => {
    const onBlocked = vi.fn();
    const guard = createNavigationGuard(DEV_ENTRY, onBlocked);
    const event = fakeEvent();
    guard(event, url);
    expect(event.prevented()).toBe(true);
    expect(onBlocked).toHaveBeenCalledWith(url);
  });

  it('prevents a built app from navigating to a file outside its directory', () => {
    const guard = createNavigationGuard(FILE_ENTRY);
    const event = fakeEvent();
    guard(event, 'file:///etc/passwd');
    expect(event.prevented()).toBe(true);
  });
});

describe('externalHttpUrl', () => {
  it('accepts http and https URLs, normalised', () => {
    expect(externalHttpUrl('https://example.com/docs?q=1#top')).toBe('https://example.com/docs?q=1#top');
    expect(externalHttpUrl('HTTP://Example.COM')).toBe('http://example.com/');
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,hi',
    'ftp://example.com/',
    'smb://server/share',
    'ms-msdt:/id',
    'mailto:a@example.com',
    'https://user:secret@example.com/',
    '//example.com/no-scheme',
    'not a url',
    '',
  ])('rejects %j', (url) => {
    expect(externalHttpUrl(url)).toBeUndefined();
  });
});

describe('window open handler', () => {
  it('always denies the new window and opens https links externally', () => {
    const openExternal = vi.fn();
    const handler = createWindowOpenHandler(openExternal);
    expect(handler({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
    expect(openExternal).toHaveBeenCalledWith('https://example.com/docs');
  });

  it.each(['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,hi', 'custom-proto://x', 'garbage'])(
    'denies %j without opening anything',
    (url) => {
      const openExternal = vi.fn();
      const handler = createWindowOpenHandler(openExternal);
      expect(handler({ url })).toEqual({ action: 'deny' });
      expect(openExternal).not.toHaveBeenCalled();
    },
  );

  it('reports a rejected openExternal instead of leaving an unhandled rejection', async () => {
    const failure = new Error('no browser');
    const onError = vi.fn();
    const handler = createWindowOpenHandler(() => Promise.reject(failure), onError);
    expect(handler({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    await vi.waitFor(() => expect(onError).toHaveBeenCalledWith(failure, 'https://example.com/'));
  });

  it('reports an openExternal that throws synchronously', () => {
    const failure = new Error('boom');
    const onError = vi.fn();
    const handler = createWindowOpenHandler(() => {
      throw failure;
    }, onError);
    expect(handler({ url: 'http://example.com/' })).toEqual({ action: 'deny' });
    expect(onError).toHaveBeenCalledWith(failure, 'http://example.com/');
  });
});

describe('Content-Security-Policy', () => {
  it('is the documented policy', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    );
  });

  it('matches the <meta http-equiv> in the renderer index.html', () => {
    const html = readFileSync(new URL('../../src/renderer/index.html', import.meta.url), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
  });

  it('adds the header and replaces an existing one in any letter case, without mutating the input', () => {
    const original = { 'content-type': ['text/html'], 'content-security-policy': ["default-src *"] };
    const headers = withContentSecurityPolicy(original);
    expect(headers).toEqual({ 'content-type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    expect(original['content-security-policy']).toEqual(['default-src *']);
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it('sets the header on app responses only', () => {
    const handler = createCspHeadersHandler(DEV_ENTRY);
    const answers: HeadersReceivedResponse[] = [];
    handler({ url: 'http://localhost:5173/', responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => answers.push(r));
    handler({ url: 'https://example.com/', responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => answers.push(r));
    expect(answers).toEqual([
      { responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } },
      {},
    ]);
  });

  it('sets the header on the built app files', () => {
    const handler = createCspHeadersHandler(FILE_ENTRY);
    const callback = vi.fn();
    handler({ url: FILE_ENTRY }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
});
