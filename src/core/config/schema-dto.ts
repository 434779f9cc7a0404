import type { ConfigFieldSpec, ConfigSchemaDto } from '../../shared/config.js';
import { CONFIG_KEYS, CONFIG_SCHEMA, SECTION_ORDER, describeExpected, leafOf, sectionOf, type FieldSpec } from './schema.js';

/** The schema as plain data for the renderer, which generates the form view from it. */
export function configSchemaDto(): ConfigSchemaDto {
  const fields = CONFIG_KEYS.map((key): ConfigFieldSpec => {
    const spec: FieldSpec = CONFIG_SCHEMA[key];
    const field: ConfigFieldSpec = {
      key,
      // A top-level table (`params`) is a section of its own.
      section: sectionOf(key) || key,
      name: leafOf(key),
      type: spec.type,
      default: Array.isArray(spec.default) ? ([...(spec.default as readonly unknown[])] as number[] | string[]) : typeof spec.default === 'object' ? {} : spec.default,
      doc: spec.doc,
      expected: describeExpected(spec),
    };
    if (spec.min !== undefined) field.min = spec.min;
    if (spec.max !== undefined) field.max = spec.max;
    if (spec.exclusiveMin) field.exclusiveMin = true;
    if (spec.exclusiveMax) field.exclusiveMax = true;
    if (spec.values) field.values = [...spec.values];
    if (spec.maxItems !== undefined) field.maxItems = spec.maxItems;
    if (spec.allowEmpty) field.allowEmpty = true;
    return field;
  });
  return { sections: [...SECTION_ORDER, ...CONFIG_KEYS.filter((key) => sectionOf(key) === '')], fields };
}
