import { main } from './main.js';

// A training worker outlives the server that launched it (its own session; see supervisor.ts): when that
// server dies, the pipes of stdout and stderr close and every later write fails with EPIPE. The run goes
// on writing its folder (run.log, metrics.jsonl, status.json), which is what every reader watches; only
// the terminal copy is lost. Any other stream error is still fatal.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

// The expman executable (bundled to out/cli/expman.mjs). The training worker that the desktop app
// supervises is this same entry: `expman train --json`.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 70;
  },
);
