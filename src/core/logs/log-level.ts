import { LOG_LEVELS, type LogLevel } from '../../shared/logs.js';

/**
 * Levels are stored one byte per line: 0 = no level (text before the first electron-log header),
 * 1 + index into LOG_LEVELS otherwise.
 */
export type LevelCode = number;
export const NO_LEVEL: LevelCode = 0;

export function levelOfCode(code: LevelCode): LogLevel | undefined {
  return code === NO_LEVEL ? undefined : LOG_LEVELS[code - 1];
}

export function codeOfLevel(level: LogLevel): LevelCode {
  return LOG_LEVELS.indexOf(level) + 1;
}

const LEVEL_BYTES = LOG_LEVELS.map((level) => Uint8Array.from(level, (char) => char.charCodeAt(0)));
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const SPACE = 0x20;
/** The timestamp `[2026-01-01 12:00:00.000]` is 25 bytes; leave room for other electron-log date formats. */
const HEADER_SEARCH = 64;

/**
 * The level named by an electron-log text header at `start` (`[<date>] [<level>]  message`), or
 * NO_LEVEL when the line does not start with one: it then continues the previous entry (a stack trace,
 * a multi-line message). Works on bytes, comparing by hand (Buffer#compare costs more in argument
 * checks than the comparison), so that indexing a million lines decodes no strings.
 */
export function parseLevelCode(buf: Uint8Array, start: number, end: number): LevelCode {
  if (start >= end || buf[start] !== OPEN) return NO_LEVEL;
  const limit = Math.min(end, start + HEADER_SEARCH);
  let close = start + 1;
  while (close < limit && buf[close] !== CLOSE) close++;
  if (close + 3 >= limit || buf[close + 1] !== SPACE || buf[close + 2] !== OPEN) return NO_LEVEL;
  const nameStart = close + 3;
  const first = buf[nameStart];
  // The levels' first letters differ, so the first byte picks the only candidate.
  for (let code = 0; code < LEVEL_BYTES.length; code++) {
    const name = LEVEL_BYTES[code]!;
    if (name[0] !== first) continue;
    const nameEnd = nameStart + name.length;
    if (nameEnd >= end || buf[nameEnd] !== CLOSE) return NO_LEVEL;
    for (let k = 1; k < name.length; k++) if (buf[nameStart + k] !== name[k]) return NO_LEVEL;
    return code + 1;
  }
  return NO_LEVEL;
}
