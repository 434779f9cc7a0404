// Bundles the CLI (and training worker, which is the same entry) from TypeScript into ESM: the entry
// out/cli/expman.mjs plus chunks under out/cli/chunks/, one split point per command (src/cli/main.ts
// imports each command on demand), so a command loads only the code and packages it uses.
// Dependencies stay external: tfjs, its wasm binaries and danfojs are loaded from node_modules at run time.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'out/cli');

// Chunk names carry a content hash: clear the old ones, or out/cli would grow with every build.
await rm(join(outdir, 'chunks'), { recursive: true, force: true });

await build({
  entryPoints: { expman: join(root, 'src/cli/expman.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
