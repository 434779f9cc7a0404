import { MANIFEST_FORMAT, type LiveRun, type Manifest, type ManifestFile, type SkippedEntry } from './manifest.js';

// The MANIFEST's schema checked by hand, for the common case of a valid MANIFEST: zod takes ~10 MiB of a
// restore's memory once loaded, and its parse of 12,000 files made megabytes of objects. It accepts exactly
// what manifestSchema (manifest-schema.ts) accepts, or less; anything it does not accept goes to zod, which
// then names the problem (or accepts it).

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const SHA256 = /^[0-9a-f]{64}$/;

/** Each element through `check`; undefined as soon as one fails. */
function listOf<T>(value: unknown, check: (item: Json) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const checked = isObject(item) ? check(item) : undefined;
    if (checked === undefined) return undefined;
    value[i] = checked; // the array is the JSON's own: reused, not copied
  }
  return value as T[];
}

/** An object with exactly `keys` (as zod's output, which drops unknown keys) is kept as it is; else copied. */
function exactly<T>(item: Json, count: number, copy: () => T): T {
  return Object.keys(item).length === count ? (item as T) : copy();
}

function file(f: Json): ManifestFile | undefined {
  const { path, size, sha256 } = f;
  if (!isString(path) || typeof size !== 'number' || !Number.isInteger(size) || size < 0 || !isString(sha256) || !SHA256.test(sha256)) return undefined;
  return exactly(f, 3, () => ({ path, size, sha256 }));
}

function link(l: Json): { path: string; target: string } | undefined {
  const { path, target } = l;
  if (!isString(path) || !isString(target)) return undefined;
  return exactly(l, 2, () => ({ path, target }));
}

function liveRun(r: Json): LiveRun | undefined {
  const { experiment, model, path, pid, host, updated } = r;
  if (!isString(experiment) || !isString(model) || !isString(path) || typeof pid !== 'number' || !isString(host) || !isString(updated)) return undefined;
  return { experiment, model, path, pid, host, updated };
}

function skipped(s: Json): SkippedEntry | undefined {
  const { path, reason } = s;
  if (!isString(path) || !isString(reason)) return undefined;
  return { path, reason };
}

/** The manifest, if `json` is a valid one (with zod's output: known keys only, in the schema's order); else undefined. */
export function checkManifest(json: unknown): Manifest | undefined {
  if (!isObject(json) || json['format'] !== MANIFEST_FORMAT) return undefined;
  const p = json['provenance'];
  const o = json['options'];
  if (!isObject(p) || !isObject(o)) return undefined;
  const { created, tool_version, node_version, host, platform, git_commit, git_dirty, data_dir } = p;
  if (![created, tool_version, node_version, host, platform, data_dir].every(isString)) return undefined;
  if ((git_commit !== undefined && !isString(git_commit)) || (git_dirty !== undefined && typeof git_dirty !== 'boolean')) return undefined;
  const { exclude_checkpoints, only } = o;
  if (typeof exclude_checkpoints !== 'boolean' || !Array.isArray(only) || !only.every(isString)) return undefined;
  const live_runs = listOf(json['live_runs'], liveRun);
  const skippedList = listOf(json['skipped'], skipped);
  const files = listOf(json['files'], file);
  const links = listOf(json['links'], link);
  if (!live_runs || !skippedList || !files || !links) return undefined;
  return {
    format: MANIFEST_FORMAT,
    provenance: {
      created: created as string,
      tool_version: tool_version as string,
      node_version: node_version as string,
      host: host as string,
      platform: platform as string,
      ...(git_commit !== undefined ? { git_commit } : {}),
      ...(git_dirty !== undefined ? { git_dirty } : {}),
      data_dir: data_dir as string,
    },
    options: { exclude_checkpoints, only },
    live_runs,
    skipped: skippedList,
    files,
    links,
  };
}
