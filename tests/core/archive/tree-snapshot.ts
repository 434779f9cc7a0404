import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything under `root` that a restore could change, path → "type mode size sha256|target" (folder
 * mtimes left out: reading and cleaning up a staging folder inside DIR touches DIR's own mtime).
 */
export function snapshotTree(root: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (rel: string) => {
    const path = rel ? join(root, rel) : root;
    for (const name of readdirSync(path).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (skip(child)) continue;
      const stat = lstatSync(join(root, child));
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) out[child] = `link ${readlinkSync(join(root, child))}`;
      else if (stat.isDirectory()) {
        out[child] = `dir ${mode}`;
        visit(child);
      } else if (stat.isFile()) {
        out[child] = `file ${mode} ${stat.mtimeMs} ${createHash('sha256').update(readFileSync(join(root, child))).digest('hex')}`;
      } else out[child] = `other ${stat.mode.toString(8)}`;
    }
  };
  visit('');
  return out;
}
