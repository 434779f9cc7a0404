import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to `expman ui`: pure checks on a request's Host, Origin, token and cookie, kept apart from
 * the server so each rule is tested on its own.
 *
 * - Host must be one of the names the server was bound to (defeats DNS rebinding: a hostile page whose
 *   name resolves to 127.0.0.1 still sends its own name as Host).
 * - Origin, when present (every WebSocket and cross-site request from a browser), must be this server.
 * - The per-launch token must come as `?token=` (first visit, from the printed URL) or as the cookie the
 *   server then sets (HttpOnly, SameSite=Strict, scoped to the port).
 */
export interface AccessPolicy {
  token: string;
  /** Accepted `host:port` values of the Host header, lower case. */
  hosts: ReadonlySet<string>;
  cookieName: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function accessPolicy(token: string, bindHost: string, port: number): AccessPolicy {
  const names = new Set(LOOPBACK_NAMES);
  if (!isLoopbackHost(bindHost)) names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  return { token, hosts: new Set([...names].map((name) => `${name}:${port}`.toLowerCase())), cookieName: `expman-token-${port}` };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export type AccessDecision =
  | { ok: true; via: 'cookie' | 'query' }
  | { ok: false; status: 401 | 403; reason: string };

export function checkAccess(policy: AccessPolicy, request: Pick<IncomingMessage, 'headers' | 'url'>): AccessDecision {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!policy.hosts.has(host)) return { ok: false, status: 403, reason: `Host ${JSON.stringify(host)} is not this server` };
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      const url = new URL(origin);
      originHost = url.protocol === 'http:' ? url.host.toLowerCase() : '';
    } catch {
      originHost = '';
    }
    // URL drops a default port; this server never listens on 80, so the port is always explicit.
    if (!policy.hosts.has(originHost)) return { ok: false, status: 403, reason: `Origin ${origin} is not this server` };
  } else if (origin === 'null') {
    return { ok: false, status: 403, reason: 'opaque Origin refused' };
  }
  const cookie = cookieValue(request.headers.cookie, policy.cookieName);
  if (cookie !== undefined && sameSecret(cookie, policy.token)) return { ok: true, via: 'cookie' };
  let query: string | null = null;
  try {
    query = new URL(request.url ?? '/', 'http://x').searchParams.get('token');
  } catch {
    // An unparsable request target carries no token.
  }
  if (query !== null && sameSecret(query, policy.token)) return { ok: true, via: 'query' };
  return { ok: false, status: 401, reason: 'missing or wrong token: open the URL that `expman ui` printed' };
}

export function tokenCookie(policy: AccessPolicy): string {
  return `${policy.cookieName}=${encodeURIComponent(policy.token)}; HttpOnly; SameSite=Strict; Path=/`;
}
