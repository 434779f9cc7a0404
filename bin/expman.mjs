#!/usr/bin/env node
// The expman command. The CLI is bundled from src/ by `npm run build:cli` (run on install and before tests).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../out/cli/expman.mjs', import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  console.error('expman: the CLI is not built yet; run `npm run build:cli` (or `npm install`) in ' + fileURLToPath(new URL('..', import.meta.url)));
  process.exit(1);
}
await import(bundle.href);
