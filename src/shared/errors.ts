/**
 * Every error code that crosses the API, in one closed list: what the core raises (ExpmanError), what the
 * transports add, and what the renderer can receive (ApiError). A program branches on the code; people
 * read the message. A code the core throws that is not listed here is a compile error.
 */
export const CORE_ERROR_CODES = [
  // Bad input, named by file/line/key: a config, a CSV, a command line, an argument
  'CONFIG_PARSE',
  'CONFIG_INVALID',
  'CSV_INVALID',
  /** The command line or a request is wrong (the CLI exits 2). */
  'USAGE',
  // The data folder and its files
  'DATA_DIR',
  'NOT_WRITABLE',
  'NOT_FOUND',
  'DISK_FULL',
  /** The model does not fit in memory: refused before it is built, or failed allocating. */
  'OUT_OF_MEMORY',
  'DATASET_MISSING',
  'DATASET_CHANGED',
  'DATASET_EXISTS',
  // Runs and the run queue
  'RUN_MISSING',
  'RUN_EXISTS',
  /** Another process writes the run (its lock), or a job of this server already queues or trains it. */
  'RUN_LOCKED',
  'RUN_NOT_LIVE',
  /** A finished run cannot be resumed: re-run (clone) it instead. */
  'RUN_FINISHED',
  'JOB_MISSING',
  // Executors: SSH hosts and Slurm clusters named in targets.toml
  /** The target's host cannot be reached, or refuses the login. */
  'TARGET_UNREACHABLE',
  /** The target lacks what a run needs there: expman (of this major version), rsync, sbatch, a writable folder. */
  'TARGET_UNSUITABLE',
  /** The scheduler refused the job (sbatch's message). */
  'SUBMIT_REJECTED',
  /** A child process (the training worker, `expman test`) ended with an error it could not report itself. */
  'WORKER_FAILED',
  'MODEL_MISSING',
  'MODEL_MODULE',
  /** Command runs: the command (command.train / command.test) is not on PATH or not an executable file. */
  'COMMAND_NOT_FOUND',
  /** Command runs: the command exited with an error (its stderr tail says why). */
  'COMMAND_FAILED',
  /** Command runs: the code a re-run or queued run would use differs from what was recorded. */
  'CODE_CHANGED',
  'BACKEND_UNAVAILABLE',
  'JUPYTER_MISSING',
  // Logs
  'LOG_MISSING',
  'LOG_PATTERN',
  // Archive and sync
  'ARCHIVE_INVALID',
  'ARCHIVE_UNSAFE',
  'ARCHIVE_CONFLICT',
  /** .tar.zst needs the zstd command (creating, verifying or restoring one). */
  'ZSTD_MISSING',
  'RSYNC_MISSING',
  'SYNC_UNREACHABLE',
  'SYNC_PERMISSION',
  'SYNC_FAILED',
  // Any long task
  'CANCELLED',
  /** The same thing is already in progress (a task id in use). */
  'CONFLICT',
  // API requests (the dispatcher also answers INVALID_ARGUMENT for a request its schema refuses)
  /** A request names something it may not (a path outside the data folder). */
  'INVALID_ARGUMENT',
  /** This transport cannot do it (revealing a file, or archiving, from the browser UI). */
  'UNSUPPORTED',
  /** Not allowed from here: a config saved through the API that sets runtime.node (README, Security); Electron: a call from something that is not an app window. */
  'FORBIDDEN',
] as const;

/** Only the API boundary and the transports produce these; the core never throws them. */
export const TRANSPORT_ERROR_CODES = [
  /** A bug: anything a handler threw that was not an ExpmanError. Never a user mistake. */
  'INTERNAL',
  'UNKNOWN_CALL',
  /** Browser: the WebSocket to `expman ui` closed before the answer came. */
  'DISCONNECTED',
] as const;

export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];
export type TransportErrorCode = (typeof TRANSPORT_ERROR_CODES)[number];
export type ErrorCode = CoreErrorCode | TransportErrorCode;

const CORE = new Set<string>(CORE_ERROR_CODES);

/** For a code that arrives as text (a child process's JSON error line): whether it is one the core raises. */
export function isCoreErrorCode(code: unknown): code is CoreErrorCode {
  return typeof code === 'string' && CORE.has(code);
}
