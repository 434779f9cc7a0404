import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import { MANIFEST_FORMAT } from '../../../src/core/archive/manifest.js';

/** One entry of a hand-made archive: any path and any tar type, exactly as stored (nothing is normalised). */
export interface CraftedEntry {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  data?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

function block(entry: CraftedEntry, size: number): Buffer {
  const fields = {
    path: entry.path,
    type: entry.type,
    mode: entry.mode ?? (entry.type === 'Directory' ? 0o755 : 0o644),
    uid: 0,
    gid: 0,
    size,
    mtime: new Date('2026-01-01T00:00:00Z'),
    linkpath: entry.linkpath ?? '',
    uname: '',
    gname: '',
  };
  const header = new Header(fields);
  const buf = Buffer.alloc(512);
  if (!header.encode(buf)) return buf;
  // Long paths or targets: a PAX header first, as GNU tar and node-tar write them.
  return Buffer.concat([new Pax({ path: entry.path, linkpath: entry.linkpath, size, mtime: fields.mtime }).encode(), buf]);
}

/**
 * A .tar.gz with exactly these entries. `manifest: 'auto'` appends a MANIFEST that lists every File
 * entry (by its stored path minus a leading "./") and every link, so the archive is otherwise valid.
 */
/** `manifest`: 'auto', 'none', or { text } for a MANIFEST with exactly that content. */
export type CraftedManifest = 'auto' | 'none' | { text: string };

export function craftArchive(entries: CraftedEntry[], manifest: CraftedManifest = 'auto'): Buffer {
  const parts: Buffer[] = [];
  const files: Array<{ path: string; size: number; sha256: string }> = [];
  const links: Array<{ path: string; target: string }> = [];
  const push = (entry: CraftedEntry) => {
    const data = entry.type === 'File' ? Buffer.from(entry.data ?? '') : Buffer.alloc(0);
    parts.push(block(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
    const listed = entry.path.replace(/^(\.\/+)+/, '');
    if (entry.type === 'File') files.push({ path: listed, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    if (entry.type === 'SymbolicLink') links.push({ path: listed, target: entry.linkpath ?? '' });
  };
  for (const entry of entries) push(entry);
  if (manifest !== 'none') {
    const body =
      manifest === 'auto'
        ? JSON.stringify({
            format: MANIFEST_FORMAT,
            provenance: { created: '2026-01-01T00:00:00Z', tool_version: '0', node_version: process.version, host: 'test', platform: 'linux', data_dir: '/x' },
            options: { exclude_checkpoints: false, only: [] },
            live_runs: [],
            skipped: [],
            files,
            links,
          })
        : manifest.text;
    push({ path: 'MANIFEST', type: 'File', data: body });
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}
