/**
 * Model modules as the UI sees them (`models:list`): the built-in model and every `$DATA/models/*.mjs`,
 * with what the module declares, or why it cannot be used.
 */
export interface ModelParamSpecDto {
  type: 'integer' | 'number' | 'string' | 'boolean' | 'integer[]' | 'number[]';
  default?: number | string | boolean | (number | string | boolean)[];
  min?: number;
  max?: number;
  choices?: string[];
  doc?: string;
}

export interface ModelInfoDto {
  /** The value of `model.type` that selects it. */
  name: string;
  builtin: boolean;
  /** The module file, relative to the data folder (models/<name>.mjs); absent for the built-in model. */
  file?: string;
  /** Declared input shape ([8, 8, 1]); absent when the module takes flat rows. */
  inputShape?: number[];
  /** The module's params schema; absent when it has none (any TOML table is passed through). */
  paramsSchema?: Record<string, ModelParamSpecDto>;
  /** Why the module cannot be used (syntax error, a throw while loading, a bad export), one line. */
  error?: string;
}
