import { z } from 'zod';
import { nameSchema } from './name-schema.js';

/**
 * Request schemas of the config API (config:read, config:validate, config:edit, config:save). Every
 * argument arrives as `unknown` over IPC or HTTP and is parsed with these before a handler calls the
 * core; the core then checks the config itself against the config schema. Limits keep one request from
 * being unreasonably large.
 */

/** Config files are small; 1 MiB is far above any real one. */
export const MAX_CONFIG_TEXT = 1 << 20;

const experiment = nameSchema;
const text = z.string().max(MAX_CONFIG_TEXT);
const key = z.string().min(1).max(200);

const ParamScalarSchema = z.union([z.number(), z.string().max(4096), z.boolean()]);
/** A table value (`model.params`): at most 256 names, each a scalar or a list of them. */
const ConfigTableSchema = z.record(z.string().min(1).max(200), z.union([ParamScalarSchema, z.array(ParamScalarSchema).max(1024)])).refine((table) => Object.keys(table).length <= 256, 'at most 256 keys');
export const ConfigValueSchema = z.union([z.number(), z.string().max(4096), z.boolean(), z.array(z.number()).max(1024), z.array(z.string().max(4096)).max(1024), ConfigTableSchema]);

export const ConfigReadRequest = z.object({ experiment }).strict();
export const ConfigValidateRequest = z.object({ experiment, text, overrides: z.array(z.string().max(4096)).max(256).optional() }).strict();
/** `value: null` removes the key, so it inherits. */
export const ConfigEditRequest = z.object({ text, key, value: ConfigValueSchema.nullable() }).strict();
/** The version the text was based on (from config:read or the last save); null for a file that did not exist. */
export const FileVersionSchema = z.object({ mtimeMs: z.number().finite(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict();
export const ConfigSaveRequest = z.object({ experiment, text, base: FileVersionSchema.nullable() }).strict();

export type ConfigReadRequest = z.infer<typeof ConfigReadRequest>;
export type ConfigValidateRequest = z.infer<typeof ConfigValidateRequest>;
export type ConfigEditRequest = z.infer<typeof ConfigEditRequest>;
export type ConfigSaveRequest = z.infer<typeof ConfigSaveRequest>;
