import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { ConfigFileDto, ConfigIssueDto, ConfigSaveResult, ConfigValue, FileVersion, ResolvedEntryDto, ValidateResult } from '../../shared/config.js';
import { ExpmanError, isExpmanError } from '../errors.js';
import { readVersioned, writeIfUnchanged } from '../fs/file-version.js';
import { checkName, paths, type Workspace } from '../workspace.js';
import { preparedDatasetNames } from '../datasets/browse.js';
import { datasetIssue } from './dataset-choice.js';
import { moduleConfigIssues } from '../models/inspect.js';
import { loadDefaultLayer } from './load.js';
import { inspectConfigText, MAX_REPORTED_ISSUES, parseConfigText, parseOverrides, resolveConfig, type ConfigIssue, type ConfigLayer, type ResolvedConfig } from './resolve.js';
import { CONFIG_KEYS } from './schema.js';
import { scanToml } from './toml-scan.js';

/**
 * The experiment's config.toml as the editor works on it: read it, validate an edited text exactly as
 * `loadConfig` would resolve it once saved, and save it (atomically, and only when valid).
 */

export async function readExperimentConfig(ws: Workspace, experiment: string): Promise<ConfigFileDto> {
  checkName('experiment', experiment);
  const file = paths.experimentConfig(ws, experiment);
  try {
    const { text, version } = await readVersioned(file);
    return { experiment, file, text, exists: version !== null, version };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExpmanError('CONFIG_INVALID', `${file}: cannot read config file (${code ?? String(error)})`, { file });
  }
}

/** Issues carried by an ExpmanError from another layer (default-config.toml, --set), marked with where they are. */
function foreignIssues(error: unknown, fallbackSource: string): ConfigIssueDto[] {
  if (!isExpmanError(error)) throw error;
  const listed = error.details['issues'] as ConfigIssue[] | undefined;
  const items = listed ?? [{ ...error.details, message: error.message }];
  return items.map((issue) => foreignIssue(issue, fallbackSource));
}

/** An issue located outside the edited text (default-config.toml, a --set override), marked with where it is. */
function foreignIssue(issue: ConfigIssue, fallbackSource: string): ConfigIssueDto {
  return {
    message: issue.message,
    ...(issue.key !== undefined && { key: issue.key }),
    ...(issue.expected !== undefined && { expected: issue.expected }),
    ...(issue.line !== undefined && { line: issue.line }),
    ...(issue.column !== undefined && { column: issue.column }),
    source: issue.file ?? (issue['source'] as string | undefined) ?? fallbackSource,
  };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of `offset` (a binary search: validation stays linear in the text's size). */
function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

/** Issues in the edited text, with the range to underline: the assignment's key to its value's end. */
function textIssues(text: string, issues: readonly ConfigIssue[], syntaxError: boolean): ConfigIssueDto[] {
  const starts = lineStarts(text);
  // The first assignment of each key, found once (a lookup per issue would make many issues quadratic).
  const assignments = new Map<string, { lineStart: number; valueEnd: number }>();
  if (!syntaxError) for (const a of scanToml(text).assignments) if (!assignments.has(a.key)) assignments.set(a.key, a);
  return issues.map((issue) => {
    const dto: ConfigIssueDto = { message: issue.message };
    if (syntaxError) dto.syntax = true;
    if (issue.key !== undefined) dto.key = issue.key;
    if (issue.expected !== undefined) dto.expected = issue.expected;
    if (issue.line === undefined) return dto;
    dto.line = issue.line;
    dto.column = issue.column ?? 1;
    const assignment = issue.key === undefined ? undefined : assignments.get(issue.key);
    if (assignment && positionOf(starts, assignment.lineStart).line === issue.line) {
      const end = positionOf(starts, assignment.valueEnd);
      dto.endLine = end.line;
      dto.endColumn = end.column;
    } else if (!syntaxError) {
      // A table header or a line the scan does not read as an assignment: underline the line's content.
      const lineEnd = starts[issue.line] ?? text.length;
      const lineText = text.slice(starts[issue.line - 1] ?? 0, lineEnd).split(/\r?\n/)[0]!.replace(/\s*#.*$/, '');
      dto.endLine = issue.line;
      dto.endColumn = Math.max(lineText.trimEnd().length + 1, dto.column + 1);
    }
    return dto;
  });
}

/** The issues shown, at most MAX_REPORTED_ISSUES, the rest summed up in one last entry. */
function capIssues(issues: ConfigIssueDto[], omitted: number): ConfigIssueDto[] {
  const more = omitted + Math.max(0, issues.length - MAX_REPORTED_ISSUES);
  if (more === 0) return issues;
  const shown = issues.slice(0, MAX_REPORTED_ISSUES);
  shown.push({ message: `and ${more.toLocaleString('en-US')} more problem${more === 1 ? '' : 's'} (not listed)`, source: shown[shown.length - 1]?.source ?? 'config' });
  return shown;
}

function entries(resolved: ResolvedConfig): ResolvedEntryDto[] {
  return CONFIG_KEYS.map((key) => {
    const value = resolved.values[key];
    return { key, value: Array.isArray(value) ? ([...value] as number[] | string[]) : value, origin: { ...resolved.origins[key] } };
  });
}

/**
 * Validates `text` as if it were experiments/<experiment>/config.toml, and resolves the config a run
 * would get with it, layer for layer as `loadConfig` does (defaults < default-config.toml < this text <
 * overrides). Never throws for bad input: every problem is an issue, and the resolved config is built
 * from the values that are valid.
 */
export async function validateConfigText(ws: Workspace, experiment: string, text: string, overrides: readonly string[] = []): Promise<ValidateResult> {
  checkName('experiment', experiment);
  const file = paths.experimentConfig(ws, experiment);
  const issues: ConfigIssueDto[] = [];

  let defaults: ConfigLayer | null = null;
  try {
    defaults = await loadDefaultLayer(ws);
  } catch (error) {
    issues.push(...foreignIssues(error, 'default-config.toml'));
  }
  const inspected = inspectConfigText(text, file, 'config', MAX_REPORTED_ISSUES);
  // The dataset must exist in this data folder. Only values the text or the overrides set are checked:
  // a default naming a dataset not prepared yet (a fresh data folder) must not block editing other keys.
  const prepared = await preparedDatasetNames(ws);
  const missingInText = inspected.syntaxError ? null : datasetIssue(inspected.layer, prepared);
  issues.push(...textIssues(text, missingInText ? [...inspected.issues, missingInText] : inspected.issues, inspected.syntaxError));
  let overrideLayer: ConfigLayer | null = null;
  try {
    if (overrides.length) overrideLayer = parseOverrides(overrides);
  } catch (error) {
    issues.push(...foreignIssues(error, 'override'));
  }
  const missingInOverrides = overrideLayer && datasetIssue(overrideLayer, prepared);
  if (missingInOverrides) issues.push(...foreignIssues(new ExpmanError('CONFIG_INVALID', missingInOverrides.message, missingInOverrides), 'override'));

  const resolved = resolveConfig([defaults, inspected.layer, overrideLayer]);
  // The model module the config names, as the worker will check it: `[model.params]` against its
  // paramsSchema (file, line and key, like the built-in keys), and whether it exists and loads.
  if (!inspected.syntaxError) {
    const typeSetHere = 'model.type' in inspected.layer.values || (overrideLayer !== null && 'model.type' in overrideLayer.values);
    const found = await moduleConfigIssues(ws, resolved, typeSetHere);
    issues.push(...textIssues(text, found.filter((issue) => issue.file === file), false));
    issues.push(...found.filter((issue) => issue.file !== file).map((issue) => foreignIssue(issue, 'config')));
  }

  const values: Record<string, ConfigValue> = {};
  for (const [key, value] of Object.entries(inspected.layer.values)) values[key] = value as ConfigValue;
  return {
    ok: issues.length === 0 && inspected.omitted === 0,
    issues: capIssues(issues, inspected.omitted),
    values,
    resolved: entries(resolved),
    inherited: entries(resolveConfig([defaults])),
    choices: { 'data.dataset': prepared },
  };
}

/**
 * Saves the experiment's config.toml. An invalid text is refused with the same error the CLI would give
 * for that file (every issue in `details.issues`) and the file on disk is left as it was; so is a file
 * that is no longer at `base`, the version the text was edited from (CONFLICT, with the file as it is
 * now). A valid one replaces it atomically.
 */
export async function saveExperimentConfig(ws: Workspace, experiment: string, text: string, base: FileVersion | null): Promise<ConfigSaveResult> {
  checkName('experiment', experiment);
  const file = paths.experimentConfig(ws, experiment);
  parseConfigText(text, file, 'config');
  await fs.mkdir(dirname(file), { recursive: true });
  const version = await writeIfUnchanged(file, text, base);
  return { file, version };
}
