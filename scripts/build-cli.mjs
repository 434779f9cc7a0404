// Bundles the CLI (and training worker, which is the same entry) from TypeScript into one ESM file.
// Dependencies stay external: tfjs, its wasm binaries and danfojs are loaded from node_modules at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'src/cli/expman.ts')],
  outfile: join(root, 'out/cli/expman.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
