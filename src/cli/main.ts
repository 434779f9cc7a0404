import { ExpmanError, isExpmanError, type ErrorCode } from '../core/errors.js';
import { appLogger } from '../core/logging/loggers.js';
import { toolVersion } from '../core/version.js';
import { archiveCommand, archiveHelp } from './commands/archive.js';
import { backendsCommand, backendsHelp } from './commands/backends.js';
import { configCommand, configHelp } from './commands/config.js';
import { listCommand, listHelp } from './commands/list.js';
import { notebookCommand, notebookHelp } from './commands/notebook.js';
import { preprocessCommand, preprocessHelp } from './commands/preprocess.js';
import { rerunCommand, rerunHelp } from './commands/rerun.js';
import { sweepCommand, sweepHelp } from './commands/sweep.js';
import { syncCommand, syncHelp } from './commands/sync.js';
import { targetsCommand, targetsHelp } from './commands/targets.js';
import { testCommand, testHelp } from './commands/test.js';
import { trainCommand, trainHelp } from './commands/train.js';
import { uiCommand, uiHelp } from './commands/ui.js';
import type { CommandContext } from './context.js';

interface Command {
  run: (ctx: CommandContext) => Promise<number>;
  help: string;
  summary: string;
}

const COMMANDS: Record<string, Command> = {
  preprocess: { run: preprocessCommand, help: preprocessHelp, summary: 'split a raw dataset into a prepared train/test dataset' },
  train: { run: trainCommand, help: trainHelp, summary: 'train a model (new run, or --resume a stopped one)' },
  test: { run: testCommand, help: testHelp, summary: "evaluate a run's best model on the test set" },
  sweep: { run: sweepCommand, help: sweepHelp, summary: 'search parameters over many runs: sweep start FILE | status | stop | resume' },
  rerun: { run: rerunCommand, help: rerunHelp, summary: "train again from a run's saved config.toml" },
  config: { run: configCommand, help: configHelp, summary: 'show the resolved configuration (config show --origin)' },
  list: { run: listCommand, help: listHelp, summary: 'list experiments and runs with status and best metrics' },
  backends: { run: backendsCommand, help: backendsHelp, summary: 'which training backends load here, and how fast' },
  notebook: { run: notebookCommand, help: notebookHelp, summary: 'open the analysis notebooks in Jupyter with DATA set' },
  ui: { run: uiCommand, help: uiHelp, summary: 'serve the app UI to a web browser (token-protected, 127.0.0.1)' },
  archive: { run: archiveCommand, help: archiveHelp, summary: 'write the data folder as a .tar.gz with a MANIFEST; verify, restore' },
  targets: { run: targetsCommand, help: targetsHelp, summary: 'list the targets of $DATA/targets.toml (Slurm clusters, SSH hosts); check one' },
  sync: { run: syncCommand, help: syncHelp, summary: 'rsync the data folder to or --from a folder or [user@]host:path' },
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
function log(): { info: (text: string) => void; error: (text: string) => void } {
  try {
    return appLogger();
  } catch {
    return { info: () => undefined, error: () => undefined };
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    console.log(topic && COMMANDS[topic] ? COMMANDS[topic].help : usage());
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
      console.log(command.help);
      return 0;
    }
    const started = Date.now();
    const line = ['expman', ...argv].join(' ');
    const code = await command.run({ argv: rest, commandLine: ['expman', ...argv] });
    log().info(`${line} → exit ${code} (${Date.now() - started} ms)`);
    return code;
  } catch (error) {
    log().error(`expman ${argv.join(' ')} → ${isExpmanError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
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
