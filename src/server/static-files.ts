import { promises as fs } from 'node:fs';
import { extname, join, normalize, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/**
 * Resolves a URL path to a file of the built renderer, or undefined: only files under `root`, never a
 * dot-file, never a path that normalises outside it (encoded `..` included).
 */
export function staticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const abs = normalize(join(root, rel));
  const back = relative(root, abs);
  if (back.startsWith('..') || back.split(sep).some((part) => part.startsWith('.'))) return undefined;
  return abs;
}

export async function readStatic(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) return undefined;
    return { body: await fs.readFile(path), type: TYPES[extname(path)] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
