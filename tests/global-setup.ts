import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** CLI tests run the bundled CLI as users do; bundle it from the current sources first (~0.2 s). */
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', 'scripts', 'build-cli.mjs')], { stdio: 'inherit' });
}
