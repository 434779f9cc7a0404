import { NAME_RULE } from '../../shared/names.js';

/**
 * The one configuration schema. Every layer (code defaults, default-config.toml, the experiment's
 * config.toml, --set overrides, UI edits) is validated against it; default-config.toml, the CLI's
 * `config show`, and the UI's form view are generated from it.
 */
export type FieldType = 'integer' | 'number' | 'string' | 'boolean' | 'integer[]' | 'string[]' | 'table';

/** A value inside a free-form table (`[model.params]`): a TOML scalar or a list of them. */
export type ParamValue = number | string | boolean | (number | string | boolean)[];
export type ParamTable = Record<string, ParamValue>;

export interface FieldSpec {
  readonly type: FieldType;
  readonly default: number | string | boolean | readonly number[] | readonly string[] | Readonly<Record<string, never>>;
  readonly doc: string;
  readonly min?: number;
  readonly max?: number;
  /** min/max bounds are exclusive when set. */
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
  readonly values?: readonly string[];
  readonly maxItems?: number;
  /** Strings only: "" is a valid value (meaning "not set"). */
  readonly allowEmpty?: boolean;
  /** Strings only: the value names a folder under $DATA (a dataset, …) and follows the name rule. */
  readonly nameOf?: string;
}

/** Training backends; `auto` tries the others in this order (fastest first) and takes the first that loads. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const CONFIG_SCHEMA = {
  'data.dataset': {
    type: 'string',
    default: 'prepared-dataset',
    nameOf: 'dataset',
    doc: 'Prepared dataset to train and test on: a folder under $DATA/datasets made by `expman preprocess`.',
  },
  'data.standardize': {
    type: 'boolean',
    default: true,
    doc: 'Scale each feature to zero mean and unit variance, using statistics of the training rows only.',
  },
  'data.standardize_target': {
    type: 'boolean',
    default: true,
    doc: 'Regression: train on the target scaled to zero mean and unit variance (statistics of the training rows, stored with the model); predictions and metrics are in the original units. Ignored for classification.',
  },
  'data.validation_split': {
    type: 'number',
    default: 0.2,
    min: 0,
    max: 0.9,
    exclusiveMin: true,
    doc: 'Fraction of the training set held out (stratified, seeded) for validation, early stopping and the best model.',
  },
  'model.type': {
    type: 'string',
    default: 'simple',
    nameOf: 'model',
    doc: 'Model architecture: "simple" (the built-in fully connected network) or the name of a model module $DATA/models/<name>.mjs.',
  },
  'model.params': {
    type: 'table',
    default: {},
    doc: "Parameters passed to a model module's build function; checked against the module's paramsSchema when it exports one.",
  },
  'model.hidden_units': {
    type: 'integer[]',
    default: [16, 16],
    min: 1,
    max: 65536,
    maxItems: 16,
    doc: 'Units of each hidden layer, input to output; [] gives a linear (softmax regression) model.',
  },
  'model.activation': {
    type: 'string',
    default: 'relu',
    values: ['relu', 'tanh', 'sigmoid', 'elu', 'selu'],
    doc: 'Activation of the hidden layers.',
  },
  'model.dropout': {
    type: 'number',
    default: 0,
    min: 0,
    max: 1,
    exclusiveMax: true,
    doc: 'Dropout rate after each hidden layer (0 = none).',
  },
  'training.epochs': {
    type: 'integer',
    default: 150,
    min: 1,
    max: 1_000_000,
    doc: 'Maximum number of passes over the training set.',
  },
  'training.batch_size': {
    type: 'integer',
    default: 16,
    min: 1,
    max: 1_000_000,
    doc: 'Samples per gradient step.',
  },
  'training.optimizer': {
    type: 'string',
    default: 'adam',
    values: ['adam', 'sgd', 'rmsprop', 'adagrad'],
    doc: 'Optimizer.',
  },
  'training.learning_rate': {
    type: 'number',
    default: 0.01,
    min: 0,
    max: 10,
    exclusiveMin: true,
    doc: 'Optimizer learning rate.',
  },
  'training.loss': {
    type: 'string',
    default: 'auto',
    values: ['auto', 'cross_entropy', 'mse', 'mae', 'huber'],
    doc: 'Loss: "auto" is cross_entropy for classification and mse for regression; mse, mae and huber (delta 1, on the scaled target) are for regression datasets only, cross_entropy for classification only.',
  },
  'training.seed': {
    type: 'integer',
    default: 42,
    min: 0,
    max: 2_147_483_647,
    doc: 'Seed for weight initialisation, the validation split and the per-epoch shuffle: same seed, same run.',
  },
  'training.backend': {
    type: 'string',
    default: 'auto',
    values: BACKENDS,
    doc: 'TensorFlow.js backend. "auto" tries tensorflow-gpu (CUDA), webgpu (Vulkan/Metal/D3D12), tensorflow (native CPU), wasm, cpu and takes the first that loads; an explicit backend that cannot load is an error.',
  },
  'training.fused_step': {
    type: 'boolean',
    default: true,
    doc: 'Train the built-in network with the fused step (one kernel per layer and one Adam update over all weights: several times faster for small networks). false trains with tfjs model.fit; model modules, dropout and selu always do.',
  },
  'training.early_stopping.enabled': {
    type: 'boolean',
    default: true,
    doc: 'Stop when the validation loss has not improved for `patience` epochs.',
  },
  'training.early_stopping.patience': {
    type: 'integer',
    default: 20,
    min: 1,
    max: 1_000_000,
    doc: 'Epochs without improvement before stopping.',
  },
  'training.early_stopping.min_delta': {
    type: 'number',
    default: 0.0001,
    min: 0,
    doc: 'Smallest decrease of the validation loss that counts as an improvement.',
  },
  'runtime.node': {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'Node.js executable for the training worker the desktop app starts ("" = node on PATH). GPU and native backends need a plain Node.js, not Electron.',
  },
  'runtime.executor': {
    type: 'string',
    default: 'local',
    values: ['local', 'ssh', 'slurm'],
    doc: 'Where the run executes: "local" (a process of this machine), "ssh" (a host) or "slurm" (a cluster job); ssh and slurm need runtime.target.',
  },
  'runtime.target': {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'The target (a table of $DATA/targets.toml) an ssh or slurm run executes on.',
  },
  'runtime.fetch_checkpoints': {
    type: 'string',
    default: 'last',
    values: ['all', 'last', 'none'],
    doc: 'ssh and slurm runs without a shared file system: which checkpoints come home with the run folder when it ends ("last": the newest, so the run can be resumed from here too; "all"; "none": they stay on the target, which a resume there still uses). The best model always comes home.',
  },
  'checkpoints.every': {
    type: 'integer',
    default: 1,
    min: 1,
    max: 1_000_000,
    doc: 'Save a checkpoint every N epochs (the last epoch is always saved).',
  },
  'checkpoints.keep_last': {
    type: 'integer',
    default: 5,
    min: 0,
    max: 1_000_000,
    doc: 'Keep only the newest N checkpoints (0 keeps all).',
  },
  'command.train': {
    type: 'string[]',
    default: [],
    maxItems: 256,
    doc: 'A command that trains instead of the built-in trainer, as an argument array (e.g. ["python3", "train.py"]); run in the run\'s copy of the code folder with the EXPMAN_* environment (README, Command runs). [] = the built-in trainer.',
  },
  'command.test': {
    type: 'string[]',
    default: [],
    maxItems: 256,
    doc: 'Command runs: the command `expman test` runs (e.g. ["python3", "test.py"]); it writes CSV files into $EXPMAN_RESULTS_DIR.',
  },
  'command.code': {
    type: 'string',
    default: 'code',
    doc: 'Command runs: the folder holding the command\'s code, relative to the experiment folder (experiments/<experiment>/code); each run keeps a copy, which its resume and re-run use.',
  },
  'command.stop_grace_seconds': {
    type: 'number',
    // The app gives the worker this plus 5 s (workerStopGraceMs), so it outlives its command and records the stop.
    default: 5,
    min: 0,
    max: 3600,
    doc: 'Command runs: seconds between SIGTERM and SIGKILL when the run is stopped.',
  },
  params: {
    type: 'table',
    default: {},
    doc: 'Free-form parameters of a command run, read by the script from $EXPMAN_CONFIG ([params] table).',
  },
  'logging.batch_interval_ms': {
    type: 'integer',
    default: 250,
    min: 0,
    max: 3_600_000,
    doc: 'Write per-batch metrics at most this often, in milliseconds (0 = every batch).',
  },
  'logging.level': {
    type: 'string',
    default: 'info',
    values: ['debug', 'info', 'warn', 'error'],
    doc: 'Lowest level written to the run log.',
  },
} as const satisfies Record<string, FieldSpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
export const CONFIG_KEYS = Object.keys(CONFIG_SCHEMA) as ConfigKey[];

type ValueOf<S extends FieldSpec> = S['type'] extends 'integer' | 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'integer[]'
      ? number[]
      : S['type'] extends 'string[]'
      ? string[]
      : S['type'] extends 'table'
        ? ParamTable
        : S extends { values: readonly (infer V)[] }
        ? V
        : string;

/** A complete configuration, flat: one entry per schema key. */
export type FlatConfig = { -readonly [K in ConfigKey]: ValueOf<(typeof CONFIG_SCHEMA)[K]> };

/** Sections in the order they appear in TOML files. */
export const SECTION_ORDER = ['data', 'model', 'training', 'training.early_stopping', 'runtime', 'checkpoints', 'logging', 'command'] as const;

/** The table a key lives in; "" for a top-level key (`params`, a table of its own). */
export function sectionOf(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot === -1 ? '' : key.slice(0, dot);
}

export function leafOf(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

export function isConfigKey(key: string): key is ConfigKey {
  return Object.prototype.hasOwnProperty.call(CONFIG_SCHEMA, key);
}

export function codeDefaults(): FlatConfig {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value: FieldSpec['default'] = CONFIG_SCHEMA[key].default;
    out[key] = Array.isArray(value) ? [...(value as readonly unknown[])] : typeof value === 'object' ? { ...value } : value;
  }
  return out as FlatConfig;
}

/** Human description of what a key accepts, used in error messages ("expected integer ≥ 1"). */
export function describeExpected(spec: FieldSpec): string {
  if (spec.values) return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
  const bounds: string[] = [];
  if (spec.min !== undefined) bounds.push(`${spec.exclusiveMin ? '>' : '≥'} ${spec.min}`);
  if (spec.max !== undefined) bounds.push(`${spec.exclusiveMax ? '<' : '≤'} ${spec.max}`);
  const range = bounds.length ? ` ${bounds.join(' and ')}` : '';
  switch (spec.type) {
    case 'integer':
      return `integer${range}`;
    case 'number':
      return `number${range}`;
    case 'boolean':
      return 'boolean (true or false)';
    case 'string':
      return spec.nameOf ? `${spec.nameOf} name (${NAME_RULE})` : 'string';
    case 'integer[]':
      return `array of integers${range}${spec.maxItems !== undefined ? `, at most ${spec.maxItems} items` : ''}`;
    case 'string[]':
      return `array of strings${spec.maxItems !== undefined ? `, at most ${spec.maxItems} items` : ''}`;
    case 'table':
      return 'table of numbers, strings, booleans or arrays of them';
  }
}
