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

const LEVEL_BYTES = LOG_LEVELS.map((level) => Buffer.from(level, 'latin1'));
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const SPACE = 0x20;
/** The timestamp `[2026-01-01 12:00:00.000]` is 25 bytes; leave room for other electron-log date formats. */
const HEADER_SEARCH = 64;

/**
 * The level named by an electron-log text header at `start` (`[<date>] [<level>]  message`), or
 * NO_LEVEL when the line does not start with one: it then continues the previous entry (a stack trace,
 * a multi-line message). Works on bytes so that indexing a million lines decodes no strings.
 */
export function parseLevelCode(buf: Buffer, start: number, end: number): LevelCode {
  if (start >= end || buf[start] !== OPEN) return NO_LEVEL;
  const limit = Math.min(end, start + HEADER_SEARCH);
  for (let i = start + 1; i + 2 < limit; i++) {
    if (buf[i] !== CLOSE || buf[i + 1] !== SPACE || buf[i + 2] !== OPEN) continue;
    const nameStart = i + 3;
    for (let code = 0; code < LEVEL_BYTES.length; code++) {
      const name = LEVEL_BYTES[code]!;
      const nameEnd = nameStart + name.length;
      if (nameEnd < end && buf[nameEnd] === CLOSE && buf.compare(name, 0, name.length, nameStart, nameEnd) === 0) {
        return code + 1;
      }
    }
    // The first "] [" is where the level must be: anything else there means this is not a header.
    return NO_LEVEL;
  }
  return NO_LEVEL;
}
