import { describe, expect, it } from 'vitest';
import { parseConfigText, parseOverrides, resolveConfig } from '../../../src/core/config/resolve.js';
import { configToToml } from '../../../src/core/config/toml-write.js';
import { codeDefaults } from '../../../src/core/config/schema.js';
import { checkParams, parseParamsSchema, withDefaults } from '../../../src/core/models/params-schema.js';

describe('[model.params]: a free-form table in the config', () => {
  it('merges key by key across layers and knows where each key was set', () => {
    const defaults = parseConfigText('[model.params]\nunits = 8\nname = "a"\n', 'default-config.toml', 'default-config.toml');
    const config = parseConfigText('[model]\ntype = "cnn"\n\n[model.params]\nunits = 32\nrates = [0.1, 0.2]\n', 'config.toml', 'config');
    const overrides = parseOverrides(['model.params.name=wide', 'model.params.deep=true']);
    const resolved = resolveConfig([defaults, config, overrides]);
    expect(resolved.values['model.params']).toEqual({ units: 32, name: 'wide', rates: [0.1, 0.2], deep: true });
    expect(resolved.tableOrigins!['model.params.units']).toEqual({ kind: 'config', file: 'config.toml', line: 5, column: 1 });
    expect(resolved.tableOrigins!['model.params.name']).toEqual({ kind: 'override', text: 'model.params.name=wide' });
    expect(resolveConfig([]).values['model.params']).toEqual({});
  });

  it('refuses nested tables and bad values with file and line', () => {
    expect(() => parseConfigText('[model.params]\ninner = { a = 1 }\n', 'c.toml', 'config')).toThrow(/c\.toml:1:1: model\.params: inner: expected a number, string, boolean or an array of them, got table/);
    expect(() => parseOverrides(['model.params.x={a=1}'])).toThrow(/model\.params\.x: x: expected a number, string, boolean or an array of them/);
  });

  it('is written into a run config as an inline table that reads back the same', () => {
    const values = { ...codeDefaults(), 'model.type': 'cnn', 'model.params': { units: 32, name: 'a "b"', rates: [0.5, 1], on: true } };
    const text = configToToml(values);
    expect(text).toMatch(/^params = \{ units = 32, name = 'a "b"', rates = \[ 0.5, 1.0 \], on = true \}$/m);
    expect(resolveConfig([parseConfigText(text, 'run.toml', 'config')]).values['model.params']).toEqual(values['model.params']);
    expect(configToToml(codeDefaults())).toMatch(/^params = \{\}$/m);
  });
});

describe("a module's paramsSchema", () => {
  const schema = parseParamsSchema(
    {
      units: { type: 'integer', default: 16, min: 1, max: 512 },
      rate: { type: 'number', min: 0, max: 1 },
      act: { type: 'string', default: 'relu', choices: ['relu', 'tanh'] },
      sizes: { type: 'integer[]' },
      on: { type: 'boolean' },
    },
    'm.mjs',
  );

  it('checks each key, locating problems where they were set', () => {
    const origins = { 'model.params.units': { kind: 'config' as const, file: 'c.toml', line: 4, column: 1 }, 'model.params.act': { kind: 'override' as const, text: 'model.params.act=gelu' } };
    const issues = checkParams({ units: 0, rate: 1, act: 'gelu', sizes: [1, 2.5], on: 'yes', extra: 1 }, schema, origins, 'm.mjs');
    expect(issues.map((i) => [i.key, i.message])).toEqual([
      ['model.params.units', 'expected integer ≥ 1 and ≤ 512, got integer 0'],
      ['model.params.act', 'expected one of "relu", "tanh", got string "gelu"'],
      ['model.params.sizes', 'expected integer[], got array [1,2.5]'],
      ['model.params.on', 'expected boolean, got string "yes"'],
      ['model.params.extra', 'unknown key for model module m.mjs (it accepts: units, rate, act, sizes, on)'],
    ]);
    expect(issues[0]).toMatchObject({ file: 'c.toml', line: 4 });
    expect(issues[1]).toMatchObject({ source: '--set model.params.act=gelu' });
    expect(checkParams({ units: 3, rate: 0.5, sizes: [1], on: false }, schema, undefined, 'm.mjs')).toEqual([]);
  });

  it('fills defaults under the configured values', () => {
    expect(withDefaults({ units: 3 }, schema)).toEqual({ units: 3, act: 'relu' });
  });

  it('is itself checked: unknown fields, types and defaults that break their own rule', () => {
    expect(() => parseParamsSchema({ a: { type: 'float' } }, 'm.mjs')).toThrow(/m\.mjs: paramsSchema\.a: type must be one of integer, number, string, boolean, integer\[\], number\[\], got "float"/);
    expect(() => parseParamsSchema({ a: { type: 'integer', minimum: 1 } }, 'm.mjs')).toThrow(/paramsSchema\.a: unknown field "minimum"/);
    expect(() => parseParamsSchema({ a: { type: 'integer', default: 0, min: 1 } }, 'm.mjs')).toThrow(/paramsSchema\.a: default: expected integer ≥ 1, got integer 0/);
    expect(() => parseParamsSchema([1], 'm.mjs')).toThrow(/paramsSchema must be an object/);
  });
});
