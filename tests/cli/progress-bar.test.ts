import { describe, expect, it } from 'vitest';
import { ProgressBar, formatBytes, formatSeconds } from '../../src/cli/progress-bar.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 120, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream, writes };
}

describe('ProgressBar', () => {
  it('draws in place on a TTY, with percentage, amount and suffix', () => {
    const { stream, writes } = fakeStream(true);
    const bar = new ProgressBar(stream);
    bar.setSuffix('loss 0.1234');
    bar.update({ phase: 'epoch 2/10', done: 25, total: 100, unit: 'batches' }, true);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.startsWith('\r\x1b[2K')).toBe(true);
    expect(writes[0]!.slice(5)).toMatch(/^epoch 2\/10 \[█+░+\] {2}25% 25\/100.* {2}loss 0\.1234$/);
    bar.clear();
    expect(writes[1]).toBe('\r\x1b[2K');
  });

  it('throttles redraws but always draws completion', () => {
    const { stream, writes } = fakeStream(true);
    const bar = new ProgressBar(stream);
    for (let i = 1; i < 50; i++) bar.update({ phase: 'reading', done: i, total: 100, unit: 'items' });
    expect(writes.length).toBe(1);
    bar.update({ phase: 'reading', done: 100, total: 100, unit: 'items' });
    expect(writes.length).toBe(2);
    expect(writes[1]).toContain('100%');
  });

  it('draws nothing when the stream is not a TTY (logs stay clean)', () => {
    const { stream, writes } = fakeStream(false);
    const bar = new ProgressBar(stream);
    bar.update({ phase: 'x', done: 1, total: 2, unit: 'bytes' }, true);
    bar.clear();
    expect(bar.enabled).toBe(false);
    expect(writes).toEqual([]);
  });

  it('formats bytes and durations', () => {
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(formatSeconds(42)).toBe('42s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(7300)).toBe('2h01m');
  });
});
