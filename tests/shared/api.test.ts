import { describe, expect, test } from 'vitest';
import {
  ApiError,
  CALLS,
  CALL_CHANNELS,
  EVENT_CHANNELS,
  buildBridge,
  dataPathSchema,
  listenerName,
  methodName,
  nameSchema,
  unwrapBridge,
  type ApiResult,
} from '../../src/shared/api.js';

describe('the API contract', () => {
  test('channel names follow domain:verb and map to method names', () => {
    for (const channel of CALL_CHANNELS) expect(channel).toMatch(/^[a-z]+:[a-z-]+$/);
    expect(methodName('runs:start')).toBe('runsStart');
    expect(methodName('jobs:set-concurrency')).toBe('jobsSetConcurrency');
    expect(listenerName('runs:event')).toBe('onRunsEvent');
    expect(listenerName('progress')).toBe('onProgress');
    expect(new Set(CALL_CHANNELS.map(methodName)).size).toBe(CALL_CHANNELS.length);
  });

  test('buildBridge exposes exactly one method per call and one subscription per event', () => {
    const calls: Array<[string, unknown]> = [];
    const bridge = buildBridge(
      async (channel, request) => {
        calls.push([channel, request]);
        return { ok: true, value: channel };
      },
      () => () => undefined,
    ) as unknown as Record<string, unknown>;
    const expected = [...CALL_CHANNELS.map(methodName), ...EVENT_CHANNELS.map(listenerName)].sort();
    expect(Object.keys(bridge).sort()).toEqual(expected);
    expect(Object.values(bridge).every((f) => typeof f === 'function')).toBe(true);
  });

  test('unwrapBridge resolves values and throws ApiError with the code, message and details', async () => {
    const bridge = buildBridge(
      async (channel): Promise<ApiResult<unknown>> =>
        channel === 'runs:get'
          ? { ok: false, error: { code: 'RUN_MISSING', message: 'no run default/x', details: { file: '/d/x' } } }
          : { ok: true, value: { jobs: [], concurrency: 1 } },
      () => () => undefined,
    );
    const api = unwrapBridge(bridge);
    await expect(api.jobsList({})).resolves.toEqual({ jobs: [], concurrency: 1 });
    const error = await api.runsGet({ experiment: 'default', model: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'RUN_MISSING', message: 'no run default/x', details: { file: '/d/x' } });
  });

  test('names and data-folder paths refuse what could leave the data folder', () => {
    expect(nameSchema.safeParse('exp-1.a_b').success).toBe(true);
    for (const bad of ['', '..', 'a/b', '../x', '.hidden', 'a..b', 'x'.repeat(129), 'a\\b']) expect(nameSchema.safeParse(bad).success, bad).toBe(false);
    expect(dataPathSchema.safeParse('experiments/a/models/b').success).toBe(true);
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'C:/x', 'a\\..\\b']) expect(dataPathSchema.safeParse(bad).success, bad).toBe(false);
  });

  test('every request schema rejects unknown keys (strict objects)', () => {
    for (const channel of CALL_CHANNELS) {
      const result = CALLS[channel].request.safeParse({ surprise: 1 });
      expect(result.success, channel).toBe(false);
    }
  });
});
