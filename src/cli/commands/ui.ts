import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExpmanError } from '../../core/errors.js';
import { detectFolder } from '../../core/folder-detect.js';
import { appLogger } from '../../core/logging/loggers.js';
import { packageRoot } from '../../core/version.js';
import { resolveDataDir } from '../../core/workspace.js';
import { isLoopbackHost } from '../../server/access.js';
import { startUiServer } from '../../server/ui-server.js';
import { emitJson, parse, parseNumberFlag, type CommandContext } from '../context.js';

export const uiHelp = `expman ui [FOLDER] [--data DIR] [--port N] [--host ADDR --allow-remote] [--json]

Serves the Experiment Manager UI — the same app as the desktop window — to a web browser, with the
same API over HTTP and a WebSocket. Open the printed URL: it carries a token that is new each launch
(like Jupyter's); requests without it are refused. Ctrl-C stops the server and its trainings (after
their current batch; killed if they have not stopped 10 s later). Trainings run in their own process
group: if the server crashes or is killed they keep training, and the next server shows and stops them.

  FOLDER          a data folder, an experiment folder or a run folder to open (default: --data,
                  $DATA, else ./data)
  --port N        port to listen on (default 8765, or a free port if 8765 is taken; 0 = any free port)
  --host ADDR     address to bind (default 127.0.0.1). Anything but loopback needs --allow-remote:
                  anyone who can reach the port and has the token controls your runs
  --allow-remote  allow a non-loopback --host
  --json          print {"url", "port", "host", "dataDir"} as one JSON line when ready

On a remote machine, prefer an SSH tunnel to --host:  ssh -L 8765:127.0.0.1:8765 you@server`;

const DEFAULT_PORT = 8765;

function rendererDir(): string {
  const dir = join(packageRoot(), 'out', 'renderer');
  if (!existsSync(join(dir, 'index.html'))) {
    throw new ExpmanError('USAGE', `the UI is not built (no ${join(dir, 'index.html')}): run \`npm run build\` in ${packageRoot()} (\`npm install\` does it unless scripts were skipped)`);
  }
  return dir;
}

export async function uiCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(
    ctx.argv,
    { port: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, 'allow-remote': { type: 'boolean', default: false } },
    true,
  );
  if (positionals.length > 1) throw new ExpmanError('USAGE', `expman ui takes one folder, got ${positionals.length}`);
  const port = parseNumberFlag('port', values.port, DEFAULT_PORT, true);
  if (port < 0 || port > 65535) throw new ExpmanError('USAGE', `--port must be between 0 and 65535, got ${port}`, { key: 'port' });
  if (!isLoopbackHost(values.host) && !values['allow-remote']) {
    throw new ExpmanError('USAGE', `--host ${values.host} is not a loopback address: add --allow-remote if you really want the UI reachable from other machines`, { key: 'host' });
  }
  const detected = await detectFolder(positionals[0] ?? resolveDataDir(values.data));
  const focus = { dataDir: detected.dataDir, ...(detected.experiment ? { experiment: detected.experiment } : {}), ...(detected.model ? { model: detected.model } : {}) };
  const log = appLogger();
  const options = {
    focus,
    rendererDir: rendererDir(),
    host: values.host,
    onInternalError: (channel: string, error: unknown) => log.error(`ui ${channel}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    log: (line: string) => log.warn(line),
  };
  let server;
  try {
    server = await startUiServer({ ...options, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || values.port !== undefined) {
      const reason = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0 for a free one)` : (error as Error).message;
      throw new ExpmanError('USAGE', `cannot listen on ${values.host}:${port}: ${reason}`, { key: 'port' });
    }
    server = await startUiServer({ ...options, port: 0 });
  }
  // Where this UI serves, for the app log (never the URL: its token grants control of the runs).
  log.info(`expman ui: serving ${focus.dataDir} on ${server.host}:${server.port} (pid ${process.pid})`);
  if (values.json) emitJson({ url: server.url, port: server.port, host: server.host, dataDir: focus.dataDir });
  else {
    if (!isLoopbackHost(values.host)) {
      console.warn(`WARNING: listening on ${values.host}, reachable from other machines. Anyone with the URL below controls your runs.`);
    }
    console.log(`Experiment Manager UI for ${focus.dataDir}`);
    console.log(`Open in your browser:\n\n    ${server.url}\n`);
    console.log('Press Ctrl-C to stop.');
  }

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        process.exit(130);
      }
      stopping = true;
      const active = server.backend.runs.active();
      if (active.length > 0 && !values.json) console.log(`Stopping ${active.length} training job(s) after their current batch… (Ctrl-C again to quit now and leave them training)`);
      void server.backend.runs
        .stopAll()
        .then(() => server.close())
        .then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
