import { describe, expect, it } from 'vitest';
import { addSample, estimate, formatDuration, type ProgressSample } from '../../../src/renderer/src/archive/progress-estimate';
import { countSyncGroups } from '../../../src/renderer/src/archive/sync-groups';

describe('progress estimate', () => {
  it('has no speed until samples span a measurable time', () => {
    expect(estimate([], 100)).toEqual({ rate: null, etaSeconds: null });
    expect(estimate([{ at: 0, done: 0 }, { at: 100, done: 50 }], 100)).toEqual({ rate: null, etaSeconds: null });
  });

  it('measures speed over the window and the time left at that speed', () => {
    const window = [{ at: 0, done: 0 }, { at: 2000, done: 400 }];
    expect(estimate(window, 1000)).toEqual({ rate: 200, etaSeconds: 3 });
    expect(estimate([{ at: 0, done: 10 }, { at: 1000, done: 10 }], 100)).toEqual({ rate: 0, etaSeconds: null });
  });

  it('forgets samples older than the window, so the speed follows a slowdown', () => {
    let window: ProgressSample[] = [];
    window = addSample(window, { at: 0, done: 0 }, 5000);
    window = addSample(window, { at: 1000, done: 10_000 }, 5000);
    window = addSample(window, { at: 7000, done: 10_600 }, 5000);
    window = addSample(window, { at: 8000, done: 10_700 }, 5000);
    // One sample at or before the window's start stays, so the speed always spans the whole window.
    expect(window.map((s) => s.at)).toEqual([1000, 7000, 8000]);
    expect(estimate(window, 20_700).rate).toBe(100);
    expect(estimate(window, 20_700).etaSeconds).toBe(100);
  });

  it('formats durations for people', () => {
    expect(formatDuration(4.12)).toBe('4.1 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('sync groups', () => {
  it('counts itemized changes per group, attribute and link changes apart', () => {
    const item = (change: 'send' | 'receive' | 'create' | 'delete' | 'attributes' | 'link') => ({ change, type: 'file' as const, path: 'x', code: '' });
    expect(countSyncGroups([item('send'), item('send'), item('create'), item('delete'), item('attributes'), item('link')])).toEqual({
      send: 2,
      receive: 0,
      create: 1,
      delete: 1,
      other: 2,
    });
  });
});
