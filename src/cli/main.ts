import { ExpmanError, isExpmanError, type ErrorCode } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import type { CommandContext } from './context.js';

/** What a command module provides: loaded only when that command runs (or its help is asked for). */
interface CommandModule {
  run: (ctx: CommandContext) => Promise<number>;
  help: string;
}

interface Command {
  summary: string;
  load: () => Promise<CommandModule>;
}

// Each command is imported on demand (the bundle is split per command, scripts/build-cli.mjs), so a
// command pays the start-up of what it uses only: `expman list` loads neither tfjs nor the UI server, ws
// or zod, and `expman --version` loads nothing. That start-up was a third of `expman list` on 10,000 runs.
const COMMANDS: Record<string, Command> = {
  preprocess: { summary: 'split a raw dataset into a prepared train/test dataset', load: async () => { const m = await import('./commands/preprocess.js'); return { run: m.preprocessCommand, help: m.preprocessHelp }; } },
  train: { summary: 'train a model (new run, or --resume a stopped one)', load: async () => { const m = await import('./commands/train.js'); return { run: m.trainCommand, help: m.trainHelp }; } },
  test: { summary: "evaluate a run's best model on the test set", load: async () => { const m = await import('./commands/test.js'); return { run: m.testCommand, help: m.testHelp }; } },
  sweep: { summary: 'search parameters over many runs: sweep start FILE | status | stop | resume', load: async () => { const m = await import('./commands/sweep.js'); return { run: m.sweepCommand, help: m.sweepHelp }; } },
  rerun: { summary: "train again from a run's saved config.toml", load: async () => { const m = await import('./commands/rerun.js'); return { run: m.rerunCommand, help: m.rerunHelp }; } },
  config: { summary: 'show the resolved configuration (config show --origin)', load: async () => { const m = await import('./commands/config.js'); return { run: m.configCommand, help: m.configHelp }; } },
  list: { summary: 'list experiments and runs with status and best metrics', load: async () => { const m = await import('./commands/list.js'); return { run: m.listCommand, help: m.listHelp }; } },
  backends: { summary: 'which training backends load here, and how fast', load: async () => { const m = await import('./commands/backends.js'); return { run: m.backendsCommand, help: m.backendsHelp }; } },
  notebook: { summary: 'open the analysis notebooks in Jupyter with DATA set', load: async () => { const m = await import('./commands/notebook.js'); return { run: m.notebookCommand, help: m.notebookHelp }; } },
  ui: { summary: 'serve the app UI to a web browser (token-protected, 127.0.0.1)', load: async () => { const m = await import('./commands/ui.js'); return { run: m.uiCommand, help: m.uiHelp }; } },
  archive: { summary: 'write the data folder as a .tar.gz with a MANIFEST; verify, restore', load: async () => { const m = await import('./commands/archive.js'); return { run: m.archiveCommand, help: m.archiveHelp }; } },
  targets: { summary: 'list the targets of $DATA/targets.toml (Slurm clusters, SSH hosts); check one', load: async () => { const m = await import('./commands/targets.js'); return { run: m.targetsCommand, help: m.targetsHelp }; } },
  sync: { summary: 'rsync the data folder to or --from a folder or [user@]host:path', load: async () => { const m = await import('./commands/sync.js'); return { run: m.syncCommand, help: m.syncHelp }; } },
};

/** Errors that scripts may want to tell apart get their own exit status (others: 1; README lists them). */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  USAGE: 2,
  RSYNC_MISSING: 3,
  SYNC_UNREACHABLE: 4,
  SYNC_PERMISSION: 5,
  SYNC_FAILED: 6,
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `expman ${toolVersion()} — Experiment Manager: prepare datasets, train, test and compare ML runs`,
    '',
    'Usage: expman <command> [options]   (expman <command> --help for details)',
    '',
    ...names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name]!.summary}`),
    '',
    'Every command takes --data DIR (default: $DATA, else ./data) and --json for machine-readable output.',
  ].join('\n');
}

/** The app log must never be the reason a command fails (e.g. a read-only home directory). */
async function log(): Promise<{ info: (text: string) => void; error: (text: string) => void }> {
  try {
    // electron-log only when a command ran: --version and --help stay free of it.
    const { appLogger } = await import('../core/logging/loggers.js');
    return appLogger();
  } catch {
    return { info: () => undefined, error: () => undefined };
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    console.log(topic && COMMANDS[topic] ? (await COMMANDS[topic].load()).help : usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(toolVersion());
    return 0;
  }
  const command = COMMANDS[name];
  const json = rest.includes('--json');
  try {
    if (!command) throw new ExpmanError('USAGE', `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log((await command.load()).help);
      return 0;
    }
    const loaded = await command.load();
    const started = Date.now();
    const line = ['expman', ...argv].join(' ');
    const code = await loaded.run({ argv: rest, commandLine: ['expman', ...argv] });
    (await log()).info(`${line} → exit ${code} (${Date.now() - started} ms)`);
    return code;
  } catch (error) {
    (await log()).error(`expman ${argv.join(' ')} → ${isExpmanError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (isExpmanError(error)) {
      if (json) process.stdout.write(`${JSON.stringify({ event: 'error', code: error.code, message: error.message, details: error.details })}\n`);
      const issues = (error.details['issues'] as Array<{ text: string }> | undefined) ?? [];
      console.error(`expman: error: ${issues.length > 1 ? issues.map((i) => i.text).join('\nexpman: error: ') : error.message}`);
      return EXIT_CODES[error.code] ?? 1;
    }
    if (json) process.stdout.write(`${JSON.stringify({ event: 'error', code: 'INTERNAL', message: String(error) })}\n`);
    console.error(`expman: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 70;
  }
}
