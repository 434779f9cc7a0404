import { main } from './main.js';

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
