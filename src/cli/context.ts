import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExpmanError } from '../core/errors.js';
import { resolveDataDir, workspace, type Workspace } from '../core/workspace.js';

export interface CommandContext {
  argv: string[];
  /** The full command line, recorded in provenance. */
  commandLine: string[];
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/** util.parseArgs with our error type: an unknown flag or a missing value is a USAGE error. */
export function parse<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (error) {
    throw new ExpmanError('USAGE', (error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

export function dataWorkspace(flag: string | undefined): Workspace {
  return workspace(resolveDataDir(flag));
}

/** Writes one JSON object per line on stdout, for programs reading `--json` output. */
export function emitJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function parseNumberFlag(name: string, text: string | undefined, fallback: number, integer = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ExpmanError('USAGE', `--${name} must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`, { key: name, expected: integer ? 'integer' : 'number' });
  }
  return value;
}
