import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { cliBundle, testLogDir } from './data-dir.js';

/**
 * `expman ui --data DIR --port 0 --json` as a user starts it: resolves with the process and the token URL
 * it prints, or rejects when it exits first.
 */
export async function startUi(data: string, env: NodeJS.ProcessEnv = {}): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn(process.execPath, [cliBundle, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_LOG_DIR: testLogDir, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  return { server, url };
}

/** Debian's Chromium, headless, as the e2e tests drive it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
}
