import log from 'electron-log/node.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The levels expman writes; electron-log's text format: `[2026-01-01 12:00:00.000] [info]  message`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

let serial = 0;

/**
 * A human-readable log written to one file with electron-log's Node entry (no Electron needed).
 * Writes are synchronous, so what was logged before a crash is on disk.
 */
export function fileLogger(file: string, level: LogLevel = 'info'): Logger {
  mkdirSync(dirname(file), { recursive: true });
  const logger = log.create({ logId: `expman-${process.pid}-${serial++}-${file}` });
  logger.transports.file.resolvePathFn = () => file;
  logger.transports.file.level = level;
  logger.transports.file.maxSize = 0; // run logs are data: never rotated away
  logger.transports.console.level = false;
  return logger;
}
