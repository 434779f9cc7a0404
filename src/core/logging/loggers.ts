import log from 'electron-log/node.js';
import { appendFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The levels expman writes; electron-log's text format: `[2026-01-01 12:00:00.000] [info]  message`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

let serial = 0;

// electron-log's file transports share one registry of files, whose write errors go to the console
// transport of the logger that registered its error listener first: the module's default instance,
// created on import and otherwise unused here. Silenced like every logger of ours (see fileLogger), or a
// run whose folder was removed prints electron-log's trace beside the one line that says so.
log.transports.console.writeFn = () => undefined;

/**
 * A human-readable log written to one file with electron-log's Node entry (no Electron needed).
 * Writes are synchronous, so what was logged before a crash is on disk.
 */
export function fileLogger(file: string, level: LogLevel = 'info'): Logger {
  // Fail here, loudly and once, if the file cannot be written: electron-log would otherwise retry and
  // report the failure through itself forever.
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, '');
  const logger = log.create({ logId: `expman-${process.pid}-${serial++}-${file}` });
  // electron-log computes its path variables (appName from the nearest package.json) before it calls
  // resolvePathFn, even though expman's path uses none of them. Started outside a folder with a
  // package.json (cwd /, a packaged app), it threw there and dropped every line without a word.
  logger.transports.file.setAppName('expman');
  logger.transports.file.resolvePathFn = () => file;
  logger.transports.file.level = level;
  logger.transports.file.maxSize = 0; // run logs are data: never rotated away
  logger.transports.console.level = false;
  // electron-log reports a line it could not write (a run folder removed meanwhile, a full disk) through
  // the console transport directly, bypassing its level, as a multi-line trace on stderr. The write that
  // matters fails on its own (metrics.jsonl and status.json are written with fs and their errors end the
  // run with one line), so the log transport stays quiet instead of racing it.
  logger.transports.console.writeFn = () => undefined;
  return logger;
}

/**
 * Where the application log lives: outside the data folder (a command that fails on bad input must
 * leave $DATA untouched), in $EXPMAN_LOG_DIR, else $XDG_STATE_HOME/expman, else ~/.local/state/expman.
 */
export function appLogFile(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const dir = env['EXPMAN_LOG_DIR'] || join(env['XDG_STATE_HOME'] || join(home, '.local', 'state'), 'expman');
  return join(dir, 'expman.log');
}

let app: Logger | undefined;

/** The application log: one line per command started, finished or failed, across all data folders. */
export function appLogger(): Logger {
  app ??= fileLogger(appLogFile(), 'info');
  return app;
}
