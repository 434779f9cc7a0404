import type { ChildProcess } from 'node:child_process';

/** The last line a tool printed on stderr (its error), without its "zstd: " (or "gzip: stdin: ") prefix. */
export function lastLine(stderr: string, name = 'zstd'): string {
  const prefix = name === 'zstd' ? /^zstd: (\/\*stdin\*\\: )?/ : new RegExp(`^${name}: (stdin: )?`);
  return stderr.trim().split('\n').pop()?.replace(prefix, '') ?? '';
}

/** Keeps the end of a child's stderr (its error), at most 4 KiB. */
export function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-4096);
  });
  return () => text;
}
