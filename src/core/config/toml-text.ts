import TOML from '@iarna/toml';
import { ExpmanError } from '../errors.js';

/**
 * Editors on Windows save UTF-8 with a byte order mark; @iarna/toml refuses it ("Unknown character
 * 65279"). Every TOML text expman reads goes through here, so a BOM is accepted everywhere.
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** TOML.parse of the text without its BOM; positions in errors count from the first real character. */
export function parseToml(text: string): Record<string, unknown> {
  return TOML.parse(stripBom(text));
}

/** Where (1-based) and why a TOML text failed to parse, from @iarna/toml's error. */
export function tomlSyntaxError(error: unknown): { line: number; column: number; reason: string } {
  const e = error as { line?: number; col?: number; message?: string };
  const reason = String(e.message ?? error)
    .split('\n')[0]!
    .replace(/ at row \d+, col \d+, pos \d+:?$/, '');
  return { line: (e.line ?? 0) + 1, column: (e.col ?? 0) + 1, reason };
}

/** parseToml for a file the user wrote: a syntax error is thrown as CONFIG_PARSE "file:line:column: invalid TOML: reason". */
export function parseTomlFile(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    const { line, column, reason } = tomlSyntaxError(error);
    throw new ExpmanError('CONFIG_PARSE', `${file}:${line}:${column}: invalid TOML: ${reason}`, { file, line, column });
  }
}
