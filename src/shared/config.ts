/**
 * Serialisable types of the config API (schema, validation, resolved values with their origins), shared
 * by the main process, which fills them from src/core/config, and the renderer's config editor.
 * Plain data only: everything here crosses IPC (structured clone) and HTTP (JSON) unchanged.
 */
export type ConfigFieldType = 'integer' | 'number' | 'string' | 'boolean' | 'integer[]' | 'string[]' | 'table';

export type ConfigValue = number | string | boolean | number[] | string[] | ConfigTable;

/** A free-form table value (`[model.params]`): names to TOML scalars or lists of them. */
export type ConfigTable = { [name: string]: number | string | boolean | (number | string | boolean)[] };

/** One schema entry as the renderer sees it (src/core/config/schema.ts FieldSpec plus its key). */
export interface ConfigFieldSpec {
  /** Flat dotted key, e.g. "training.early_stopping.patience". */
  key: string;
  /** The TOML table it lives in, e.g. "training.early_stopping". */
  section: string;
  /** The last part of the key, as written inside its table. */
  name: string;
  type: ConfigFieldType;
  default: ConfigValue;
  doc: string;
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  values?: string[];
  maxItems?: number;
  allowEmpty?: boolean;
  /** What the key accepts, in words ("integer ≥ 1 and ≤ 1000000"), as error messages say it. */
  expected: string;
}

export interface ConfigSchemaDto {
  /** Tables in the order config files list them. */
  sections: string[];
  /** Every key, in schema order. */
  fields: ConfigFieldSpec[];
}

export type ConfigOriginKind = 'default' | 'default-config.toml' | 'config' | 'override';

export interface ConfigOriginDto {
  kind: ConfigOriginKind;
  /** The file the value was read from (default-config.toml or the experiment's config.toml). */
  file?: string;
  line?: number;
  column?: number;
  /** For overrides: the `key=value` text as given. */
  text?: string;
}

export interface ResolvedEntryDto {
  key: string;
  value: ConfigValue;
  origin: ConfigOriginDto;
}

/** A problem with a config text. Lines and columns are 1-based; end positions are exclusive. */
export interface ConfigIssueDto {
  message: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  key?: string;
  expected?: string;
  /**
   * Where the problem is when it is not in the edited text: another file (an invalid
   * default-config.toml) or an override ("command line --set x=y"). Absent for the edited text itself.
   */
  source?: string;
  /** True for a TOML syntax error: the text could not be read at all, so no value in it counts. */
  syntax?: boolean;
}

export interface ValidateResult {
  /** True when the text can be saved and run: no issue anywhere. */
  ok: boolean;
  issues: ConfigIssueDto[];
  /** The values the edited text sets, flat key → value (valid keys only). */
  values: Record<string, ConfigValue>;
  /** Every schema key's resolved value and origin, as a run would use it with this text saved. */
  resolved: ResolvedEntryDto[];
  /** Every key's value and origin without the edited text and overrides: what clearing a key falls back to. */
  inherited: ResolvedEntryDto[];
  /** Keys whose valid values depend on the data folder, with those values (data.dataset: the prepared datasets). */
  choices: Record<string, string[]>;
}

/**
 * What a file looked like when the UI read it: sent back with a save so the backend can refuse to
 * overwrite a change made elsewhere (another tab, an editor, the CLI) since. The hash decides; the
 * modification time tells the user when the other change happened.
 */
export interface FileVersion {
  mtimeMs: number;
  sha256: string;
}

/**
 * Details of a CONFLICT error from a save: the file as it is on disk now (`text` "" and `version` null
 * when it was deleted), so the UI can show both versions and save again over this one on purpose.
 */
export interface FileConflictDetails {
  file: string;
  text: string;
  version: FileVersion | null;
}

/** The experiment's config file as stored. */
export interface ConfigFileDto {
  experiment: string;
  /** Absolute path of experiments/<exp>/config.toml. */
  file: string;
  /** Its text; "" when the file does not exist yet. */
  text: string;
  exists: boolean;
  /** The version read; pass it back to config:save. Null when the file does not exist. */
  version: FileVersion | null;
}

/** What config:save answers: the file and its new version (the base for the next save). */
export interface ConfigSaveResult {
  file: string;
  version: FileVersion;
}
