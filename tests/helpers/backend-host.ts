// A stand-in for `expman ui` without the renderer: the same backend (createBackend), driven by JSON lines
// on stdin ({id, channel, request}) and answering on stdout ({id, result}). Bundled by tests that need a
// server process they can SIGKILL (see tests/core/jobs/adopt.test.ts).
import { createInterface } from 'node:readline';
import { createBackend } from '../../src/core/api/backend.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: backend-host <data-dir>');
const backend = createBackend({ focus: { dataDir }, transport: 'browser', emit: () => undefined });
createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, channel, request } = JSON.parse(line) as { id: number; channel: string; request: unknown };
  void backend.dispatch(channel, request).then((result) => process.stdout.write(`${JSON.stringify({ id, result })}\n`));
});
process.stdout.write(`${JSON.stringify({ ready: process.pid })}\n`);
