import { describe, expect, it } from 'vitest';
import { checkName } from '../../src/core/workspace.js';
import { ConfigEditRequest, ConfigReadRequest, ConfigSaveRequest, ConfigValidateRequest, MAX_CONFIG_TEXT } from '../../src/shared/config-requests.js';

describe('config API request schemas', () => {
  it('accept well-formed requests', () => {
    expect(ConfigReadRequest.parse({ experiment: 'e1' })).toEqual({ experiment: 'e1' });
    expect(ConfigValidateRequest.parse({ experiment: 'e1', text: '[training]\n', overrides: ['training.seed=1'] }).overrides).toEqual(['training.seed=1']);
    expect(ConfigEditRequest.parse({ text: '', key: 'model.hidden_units', value: [8, 8] }).value).toEqual([8, 8]);
    expect(ConfigEditRequest.parse({ text: '', key: 'training.epochs', value: null }).value).toBeNull();
    expect(ConfigSaveRequest.parse({ experiment: 'e_2.b', text: 'x', base: null }).experiment).toBe('e_2.b');
  });

  it('refuse bad names, wrong shapes, unknown fields and oversized texts', () => {
    expect(ConfigReadRequest.safeParse({ experiment: '../etc' }).success).toBe(false);
    expect(ConfigReadRequest.safeParse({ experiment: 'a..b' }).success).toBe(false);
    expect(ConfigReadRequest.safeParse({ experiment: 'e1', extra: 1 }).success).toBe(false);
    // Tables ([model.params]) hold scalars and lists of them, nothing deeper.
    expect(ConfigEditRequest.parse({ text: '', key: 'model.params', value: { a: 1, b: 'x', c: [1, 2] } }).value).toEqual({ a: 1, b: 'x', c: [1, 2] });
    expect(ConfigEditRequest.safeParse({ text: '', key: 'k', value: { a: { b: 1 } } }).success).toBe(false);
    expect(ConfigEditRequest.safeParse({ text: '', key: 'k', value: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i])) }).success).toBe(false);
    expect(ConfigEditRequest.safeParse({ text: '', key: '', value: 1 }).success).toBe(false);
    expect(ConfigSaveRequest.safeParse({ experiment: 'e1', text: 'x'.repeat(MAX_CONFIG_TEXT + 1) }).success).toBe(false);
    expect(ConfigValidateRequest.safeParse({ experiment: 'e1', text: '', overrides: 'training.seed=1' }).success).toBe(false);
  });
});

it('experiment names follow the same rule as the core', () => {
  for (const name of ['e1', 'A-b_c.d', '.hidden', '-x', 'a..b', 'a/b', '', 'x'.repeat(128), 'x'.repeat(129), 'é']) {
    let coreAccepts = true;
    try {
      checkName('experiment', name);
    } catch {
      coreAccepts = false;
    }
    expect(ConfigReadRequest.safeParse({ experiment: name }).success, name).toBe(coreAccepts);
  }
});
