/**
 * The one API contract between the UI and the app's backend.
 *
 * Every call (`domain:verb`) is declared here once, with the runtime schema of its request and the type of
 * its response; every pushed event likewise. The Electron preload, the main-process IPC handlers, the
 * browser transport (`expman ui`) and the renderer are all typed from this table, so a call added here and
 * forgotten in a handler table is a compile error, and every request is parsed by its schema at the
 * boundary before any handler runs.
 *
 * Runtime dependencies: zod only (bundled into the preload and the renderer). No Node, no Electron.
 */
import { z } from 'zod';
import { ARCHIVE_FORMATS, type AppCommand, type ArchiveResultDto, type SyncDestination, type SyncResultDto } from './archive-sync.js';
import type { ConfigFileDto, ConfigSaveResult, ConfigSchemaDto, ValidateResult } from './config.js';
import type { ErrorCode } from './errors.js';
import { ConfigEditRequest, ConfigReadRequest, ConfigSaveRequest, ConfigValidateRequest } from './config-requests.js';
import {
  DatasetPageRequestSchema,
  DatasetStatsRequestSchema,
  PreprocessRequestSchema,
  type DatasetPage,
  type DatasetStats,
  type DatasetSummary,
  type PreprocessOutcome,
} from './datasets.js';
import { nameSchema } from './name-schema.js';
import type { Progress } from './progress.js';
import { logReadRequestSchema, logSearchRequestSchema, type LogInfo, type LogSearchResult, type LogWindow } from './logs.js';
import type { ModelInfoDto } from './models.js';
import type { RunEvent } from './run-events.js';
import type { ExperimentSummary, JobInfo, RunDetail, RunError, RunMetrics, RunRef, RunSummary, TargetSummary } from './runs.js';
import type { SweepDetail, SweepSummary } from './sweeps.js';
import type { RunTable } from './run-table.js';

// ---- Request schemas ----------------------------------------------------------------------------------

/** Dataset, experiment and model names become folder names: one rule, in ./names. */
export { nameSchema };

const runRefSchema = z.strictObject({ experiment: nameSchema, model: nameSchema });
const noArgs = z.strictObject({});
/** `key=value` config overrides, exactly as `expman train --set` takes them (validated by the core). */
const overridesSchema = z.array(z.string().min(3).max(2000)).max(200);
/**
 * A path *inside* the open data folder, relative, with '/' separators. Never absolute, never `..`:
 * the UI cannot name anything outside the data folder.
 */
export const dataPathSchema = z
  .string()
  .max(4096)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.includes('\\'), 'expected a path relative to the data folder')
  .refine((p) => p.split('/').every((part) => part !== '..'), 'a path may not contain ".."');

/** Chosen by the caller for a long task, to match its progress events and to cancel it. */
export const taskIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a task id of letters, digits, "_" and "-"');

/** A sync target: a local folder or `[user@]host:path`; no option-like or control characters. */
export const syncTargetSchema = z
  .string()
  .min(1)
  .max(1000)
  .refine((t) => !t.startsWith('-') && ![...t].some((c) => c.charCodeAt(0) < 0x20), 'expected a folder or [user@]host:path');
export const syncDestinationSchema = z.strictObject({
  name: z.string().min(1).max(100),
  target: syncTargetSchema,
  excludeCheckpoints: z.boolean(),
  delete: z.boolean(),
});

// ---- Response types -----------------------------------------------------------------------------------

export interface AppInfo {
  version: string;
  transport: 'electron' | 'browser';
  /** Absolute path of the open data folder (shown to the user; never accepted back as input). */
  dataDir: string;
  platform: string;
  /** Which Node.js trains, and whether GPU/native backends can load in it. */
  worker: { source: string; nativeBackends: boolean };
  /** Features only the desktop app has (reveal in file manager, native dialogs). */
  osIntegration: boolean;
}

/** What the app was asked to open (a data folder, an experiment folder or a model folder). */
export interface WorkspaceFocus {
  dataDir: string;
  experiment?: string;
  model?: string;
}

export interface JobsState {
  jobs: JobInfo[];
  concurrency: number;
}

// ---- The calls ------------------------------------------------------------------------------------------

/** A call's declaration: its request schema and (as a phantom type) its response. */
export interface CallSpec<Req extends z.ZodType, Res> {
  readonly request: Req;
  /** Type-level only; never read at run time. */
  readonly response?: Res;
}
const call = <Res>() => <Req extends z.ZodType>(request: Req): CallSpec<Req, Res> => ({ request });

export const CALLS = {
  'app:info': call<AppInfo>()(noArgs),
  /** What to show. The renderer asks once on load, after subscribing to events; the desktop app holds pushes to a window until then. */
  'workspace:focus': call<WorkspaceFocus>()(noArgs),
  'experiments:list': call<ExperimentSummary[]>()(noArgs),
  'runs:list': call<RunSummary[]>()(z.strictObject({ experiment: nameSchema.optional() })),
  'runs:get': call<RunDetail>()(runRefSchema),
  /** The runs table of an experiment: every run's config keys and metric summaries, as columns (src/shared/run-table.ts). */
  'runs:table': call<RunTable>()(z.strictObject({ experiment: nameSchema })),
  'runs:metrics': call<RunMetrics>()(z.strictObject({ experiment: nameSchema, model: nameSchema, since: z.number().int().min(0).optional() })),
  'runs:start': call<JobInfo>()(
    z.strictObject({ experiment: nameSchema, model: nameSchema.optional(), overrides: overridesSchema.default([]) }),
  ),
  'runs:resume': call<JobInfo>()(runRefSchema),
  /** Trains a new run from this run's saved config (exact re-run). */
  'runs:rerun': call<JobInfo>()(runRefSchema),
  /** Evaluates the run's best model on the test set (`expman test`); resolves with the updated run. */
  'runs:test': call<RunDetail>()(runRefSchema),
  'runs:stop': call<JobInfo>()(z.strictObject({ jobId: z.string().min(1).max(100) })),
  /**
   * Stops a run live on this host, whoever started it (this server, one before it, the CLI): SIGTERM,
   * SIGKILL after the grace period (at once with force). The pid is verified against the run's lock.
   */
  'runs:stop-run': call<RunSummary>()(z.strictObject({ experiment: nameSchema, model: nameSchema, force: z.boolean().optional() })),
  'jobs:list': call<JobsState>()(noArgs),
  /** The targets of $DATA/targets.toml a run can be started on (runtime.executor + runtime.target). */
  'targets:list': call<TargetSummary[]>()(noArgs),
  'jobs:set-concurrency': call<JobsState>()(z.strictObject({ concurrency: z.number().int().min(1).max(16) })),
  'shell:reveal': call<null>()(z.strictObject({ path: dataPathSchema })),

  /** A window of a run's logs/run.log (level-filtered rows, or the tail). */
  'logs:read': call<LogWindow>()(z.strictObject({ experiment: nameSchema, model: nameSchema, request: logReadRequestSchema.strict() })),
  'logs:search': call<LogSearchResult>()(z.strictObject({ experiment: nameSchema, model: nameSchema, request: logSearchRequestSchema.strict() })),
  /** Follow a run's log: `logs:changed` events (at most 4 a second) until as many `logs:unwatch` calls. */
  'logs:watch': call<null>()(runRefSchema),
  'logs:unwatch': call<null>()(runRefSchema),

  'config:schema': call<ConfigSchemaDto>()(noArgs),
  'config:read': call<ConfigFileDto>()(ConfigReadRequest),
  /** Issues and the resolved config (with origins) as if `text` were the experiment's config.toml. */
  'config:validate': call<ValidateResult>()(ConfigValidateRequest),
  /** One key changed in the TOML text, comments and layout kept (`value: null` removes the key). */
  'config:edit': call<string>()(ConfigEditRequest),
  /** Atomic save; refused (with the issues) while the text is invalid. */
  'config:save': call<ConfigSaveResult>()(ConfigSaveRequest),

  /** Sweeps of one experiment, or of all. */
  'sweeps:list': call<SweepSummary[]>()(z.strictObject({ experiment: nameSchema.optional() })),
  /** A sweep's definition, state and trials table. */
  'sweeps:get': call<SweepDetail>()(z.strictObject({ experiment: nameSchema, name: nameSchema })),
  /**
   * Checks a sweep definition (TOML text, as `expman sweep start` reads from a file) and starts it: this
   * server drives it, its trials go through the run queue. Bad input is refused before anything exists.
   */
  'sweeps:start': call<SweepSummary>()(z.strictObject({ text: z.string().min(1).max(100_000), experiment: nameSchema.optional(), name: nameSchema.optional() })),
  /** Continues a stopped sweep (or one whose controller died) without repeating a trial. */
  'sweeps:resume': call<SweepSummary>()(z.strictObject({ experiment: nameSchema, name: nameSchema })),
  /** Stops a sweep, whoever drives it on this host: its running trials stop (resumable). */
  'sweeps:stop': call<SweepSummary>()(z.strictObject({ experiment: nameSchema, name: nameSchema })),

  'datasets:list': call<DatasetSummary[]>()(noArgs),
  /** The built-in model and each $DATA/models/<name>.mjs, with its params schema or its load error. */
  'models:list': call<ModelInfoDto[]>()(noArgs),
  'datasets:page': call<DatasetPage>()(DatasetPageRequestSchema.strict()),
  'datasets:stats': call<DatasetStats>()(DatasetStatsRequestSchema.strict()),
  /** Splits a raw dataset; progress comes as `progress` events with this taskId; `tasks:cancel` aborts it. */
  'datasets:preprocess': call<PreprocessOutcome>()(PreprocessRequestSchema.extend({ taskId: taskIdSchema }).strict()),
  /**
   * Archives the data folder (.tar.gz, or .tar.zst with `format: 'zst'`, with a MANIFEST). The desktop app
   * asks where to save it with the system's save dialog; a cancelled dialog or task ends with CANCELLED and
   * leaves no partial file; zst without the zstd command ends with ZSTD_MISSING.
   */
  'archive:create': call<ArchiveResultDto>()(
    z.strictObject({ taskId: taskIdSchema, format: z.enum(ARCHIVE_FORMATS).default('gz'), excludeCheckpoints: z.boolean().default(false), only: z.array(z.string().regex(/^experiments\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)).max(100).default([]) }),
  ),
  'sync:destinations': call<SyncDestination[]>()(noArgs),
  'sync:save-destination': call<SyncDestination[]>()(z.strictObject({ destination: syncDestinationSchema })),
  'sync:remove-destination': call<SyncDestination[]>()(z.strictObject({ name: z.string().min(1).max(100) })),
  /** rsync push (`to`) or pull (`from`); dryRun lists what would change. Progress as `progress` events. */
  'sync:run': call<SyncResultDto>()(
    z.strictObject({
      taskId: taskIdSchema,
      target: syncTargetSchema,
      direction: z.enum(['push', 'pull']),
      dryRun: z.boolean(),
      delete: z.boolean().default(false),
      excludeCheckpoints: z.boolean().default(false),
    }),
  ),
  /** Cancels a long task started with a taskId; it ends with a CANCELLED error and leaves nothing behind. */
  'tasks:cancel': call<{ cancelled: boolean }>()(z.strictObject({ taskId: taskIdSchema })),
} as const;

export type CallChannel = keyof typeof CALLS;
type SpecOf<C extends CallChannel> = (typeof CALLS)[C];
/** What a caller passes (defaults may be omitted). */
export type CallRequest<C extends CallChannel> = z.input<SpecOf<C>['request']>;
/** What a handler receives: the request after parsing (defaults filled in). */
export type ParsedRequest<C extends CallChannel> = z.output<SpecOf<C>['request']>;
export type CallResponse<C extends CallChannel> = SpecOf<C> extends CallSpec<z.ZodType, infer R> ? R : never;

export const CALL_CHANNELS = Object.keys(CALLS) as CallChannel[];

export function isCallChannel(channel: unknown): channel is CallChannel {
  return typeof channel === 'string' && Object.hasOwn(CALLS, channel);
}

// ---- Pushed events ------------------------------------------------------------------------------------

/** Run events of one job since the last batch (at most ~10 batches a second per run). */
export interface RunEventBatch {
  jobId: string;
  experiment: string;
  model: string;
  events: RunEvent[];
}
/** Output lines (the run log as the worker prints it, and stderr) since the last batch. */
export interface LogLinesBatch {
  jobId: string;
  experiment: string;
  model: string;
  lines: string[];
}
/** A job has ended: always sent once per job, after its last event and log batch. */
export interface JobExit {
  jobId: string;
  experiment: string;
  model: string;
  state: 'finished' | 'failed' | 'stopped';
  code: number | null;
  signal: string | null;
  error?: RunError;
}
/** A long task's progress, for the task started with this taskId. */
export interface TaskProgress extends Progress {
  taskId: string;
}

export interface EventPayloads {
  'runs:event': RunEventBatch;
  'log:lines': LogLinesBatch;
  'jobs:changed': JobsState;
  'runs:exited': JobExit;
  /** A followed run log grew, was truncated or replaced. */
  'logs:changed': { experiment: string; model: string; info: LogInfo };
  progress: TaskProgress;
  /** The desktop menu asks the UI to open a dialog (File → Archive Data…, Sync Data…). */
  'app:command': { command: AppCommand };
  /** The desktop app opened another folder, or was asked to focus an experiment or model. */
  'workspace:changed': WorkspaceFocus;
  // Pushed by the data-folder watcher, whoever wrote the files (this app, the CLI, another host via a
  // shared file system or rsync). They carry the data: fold them into state, do not reload on them.
  /** Runs that appeared or whose status.json changed (status, epoch, best, live), at most ~4 batches a second. */
  'runs:changed': { runs: RunSummary[] };
  /** Run folders that were removed. */
  'runs:removed': { runs: RunRef[] };
  /**
   * Events appended to a run's logs/metrics.jsonl: bytes [from, offset). `from` is 0 when the file was
   * replaced. A client that has read up to `offset` already ignores it; one with a gap before `from` asks
   * `runs:metrics` with `since` for the rest.
   */
  'runs:appended': { experiment: string; model: string; events: RunEvent[]; from: number; offset: number };
  /** Experiment folders that appeared, or whose config.toml was created or removed. */
  'experiments:changed': { experiments: Array<{ name: string; hasConfig: boolean }> };
  'experiments:removed': { experiments: string[] };
  /** An experiment's config.toml changed on disk (saved here, in another window or by another program). */
  'config:changed': { experiment: string; config: ConfigFileDto };
  /** The dataset list after a change under datasets/. */
  'datasets:changed': { datasets: DatasetSummary[] };
  /**
   * Sweeps whose folder changed (its controller wrote progress or trials, started or ended): each as
   * `sweeps:get` answers it now. Its trials' runs come with `runs:changed` / `runs:appended`.
   */
  'sweeps:changed': { sweeps: SweepDetail[] };
  /**
   * Sent by the browser transport itself (never by the backend) when its connection came back after a
   * drop: pushes sent meanwhile are lost, so views read again what they follow (lists, metrics from their
   * offsets, logs). Log watches are already replayed by the transport. The desktop app never sends it.
   */
  'connection:restored': Record<string, never>;
}
export type EventChannel = keyof EventPayloads;

const EVENT_TABLE: { readonly [E in EventChannel]: true } = {
  'runs:event': true,
  'log:lines': true,
  'jobs:changed': true,
  'runs:exited': true,
  'logs:changed': true,
  progress: true,
  'app:command': true,
  'workspace:changed': true,
  'runs:changed': true,
  'runs:removed': true,
  'runs:appended': true,
  'experiments:changed': true,
  'experiments:removed': true,
  'config:changed': true,
  'datasets:changed': true,
  'sweeps:changed': true,
  'connection:restored': true,
};
export const EVENT_CHANNELS = Object.keys(EVENT_TABLE) as EventChannel[];

// ---- Results and errors -------------------------------------------------------------------------------

/** Errors cross the boundary as data (Electron's IPC and the WebSocket would lose an Error's fields). */
export interface ApiErrorDto {
  /** One of the closed list in ./errors.ts: a core code, or one the boundary adds (INTERNAL, UNKNOWN_CALL, …). */
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiErrorDto };

/** Thrown in the renderer when a call fails: the backend's code, message and details, unchanged. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(error: ApiErrorDto) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.details = error.details ?? {};
  }
}

// ---- Method names: 'runs:start' → runsStart, 'jobs:set-concurrency' → jobsSetConcurrency --------------

type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
export type MethodName<C extends string> = C extends `${infer D}:${infer V}` ? `${Camel<D>}${Capitalize<Camel<V>>}` : Camel<C>;
export type ListenerName<E extends string> = `on${Capitalize<MethodName<E>>}`;

export function methodName(channel: string): string {
  return channel
    .split(/[:-]/)
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');
}
export function listenerName(channel: string): string {
  const m = methodName(channel);
  return `on${m.charAt(0).toUpperCase()}${m.slice(1)}`;
}

// ---- The API objects ----------------------------------------------------------------------------------

export type Unsubscribe = () => void;

/**
 * What a transport provides: each call resolves to an ApiResult (never rejects for a failed call), and
 * `on<Event>` subscriptions return an unsubscribe function. The Electron preload exposes exactly this as
 * `window.expmanBridge`; the browser transport builds the same object over a WebSocket.
 */
export type BridgeApi = {
  readonly [C in CallChannel as MethodName<C>]: (request: CallRequest<C>) => Promise<ApiResult<CallResponse<C>>>;
} & {
  readonly [E in EventChannel as ListenerName<E>]: (listener: (payload: EventPayloads[E]) => void) => Unsubscribe;
};

/** What the renderer uses: calls resolve to their value or throw ApiError. */
export type ExpmanApi = {
  readonly [C in CallChannel as MethodName<C>]: (request: CallRequest<C>) => Promise<CallResponse<C>>;
} & {
  readonly [E in EventChannel as ListenerName<E>]: (listener: (payload: EventPayloads[E]) => void) => Unsubscribe;
};

/** Builds a BridgeApi from a transport's two primitives; used by the preload and the browser transport. */
export function buildBridge(
  invoke: (channel: CallChannel, request: unknown) => Promise<ApiResult<unknown>>,
  subscribe: (channel: EventChannel, listener: (payload: unknown) => void) => Unsubscribe,
): BridgeApi {
  const api: Record<string, unknown> = {};
  for (const channel of CALL_CHANNELS) api[methodName(channel)] = (request: unknown) => invoke(channel, request);
  for (const channel of EVENT_CHANNELS) api[listenerName(channel)] = (listener: (payload: unknown) => void) => subscribe(channel, listener);
  return api as BridgeApi;
}

/** Turns a BridgeApi into the throwing ExpmanApi the renderer uses. */
export function unwrapBridge(bridge: BridgeApi): ExpmanApi {
  const raw = bridge as unknown as Record<string, (arg: unknown) => unknown>;
  const api: Record<string, unknown> = {};
  for (const channel of CALL_CHANNELS) {
    const name = methodName(channel);
    api[name] = async (request: unknown) => {
      const result = (await raw[name]!(request ?? {})) as ApiResult<unknown>;
      if (!result.ok) throw new ApiError(result.error);
      return result.value;
    };
  }
  for (const channel of EVENT_CHANNELS) {
    const name = listenerName(channel);
    api[name] = raw[name];
  }
  return api as ExpmanApi;
}

/** Name of the object the preload exposes on `window`. */
export const BRIDGE_GLOBAL = 'expmanBridge';
