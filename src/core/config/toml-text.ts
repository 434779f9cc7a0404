import TOML from '@iarna/toml';

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
