import { describe, expect, test } from 'vitest';
import { LogFollows } from '../../../src/core/logs/log-follows.js';

describe('LogFollows', () => {
  test('one follow per log for all callers; each caller releases only its own references', () => {
    const follows = new LogFollows();
    const events: string[] = [];
    const start = (key: string) => () => {
      events.push(`start ${key}`);
      return () => events.push(`stop ${key}`);
    };
    follows.follow('a', 'log1', start('log1'));
    follows.follow('a', 'log1', start('log1'));
    follows.follow('b', 'log1', start('log1'));
    follows.follow('b', 'log2', start('log2'));
    expect(events).toEqual(['start log1', 'start log2']);
    follows.unfollow('c', 'log1');
    follows.unfollow('a', 'log1');
    expect(events).toHaveLength(2);
    follows.release('b');
    expect(events).toEqual(['start log1', 'start log2', 'stop log2']);
    follows.unfollow('a', 'log1');
    expect(events.at(-1)).toBe('stop log1');
    expect(follows.active().size).toBe(0);
  });
});
