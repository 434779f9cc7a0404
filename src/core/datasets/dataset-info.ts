import TOML from '@iarna/toml';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseToml } from '../config/toml-text.js';
import { ExpmanError } from '../errors.js';
import { paths, type Workspace } from '../workspace.js';
import type { NumericStats } from './csv-scan.js';
import type { Task, TargetStats } from './task.js';

/** info.toml of a prepared dataset: what it holds, how it was made, and a sha256 of every file. */
export interface ColumnInfo extends Partial<NumericStats> {
  name: string;
  dtype: 'float64' | 'object';
  role: 'feature' | 'label' | 'set';
}

export interface FileInfo {
  rows: number;
  bytes: number;
  sha256: string;
}

export interface DatasetInfo {
  /** Absent in datasets prepared before tasks existed: those are classification. */
  task?: Task;
  dataset: { name: string; source: string; source_sha256: string; created: string; tool_version: string };
  split: { train_fraction: number; separate_sets: boolean; stratified: boolean; seed: number };
  label: { column: string; classes: string[] };
  columns: ColumnInfo[];
  rows: { total: number; train: number; test: number };
  /** Rows per class (classification; empty tables for regression). */
  class_balance: { train: Record<string, number>; test: Record<string, number> };
  /** Distribution of the target in each set (regression only). */
  target?: { train: TargetStats; test: TargetStats };
  files: Record<string, FileInfo>;
}

export const INFO_FILE = 'info.toml';

export function infoToToml(info: DatasetInfo): string {
  const header = [
    '# Prepared by `expman preprocess`. Describes the files beside it; do not edit by hand:',
    '# training checks the sha256 of each file against this table.',
    '',
  ].join('\n');
  return header + TOML.stringify(info as unknown as TOML.JsonMap);
}

/** The task of a prepared dataset (classification for datasets prepared before tasks were recorded). */
export function datasetTask(info: Pick<DatasetInfo, 'task'>): Task {
  return info.task ?? 'classification';
}

export async function readDatasetInfo(ws: Workspace, name: string): Promise<DatasetInfo> {
  const dir = paths.datasetDir(ws, name);
  const file = join(dir, INFO_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    let available: string[] = [];
    try {
      available = (await fs.readdir(paths.datasetsDir(ws), { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && entry.name !== 'external' && !entry.name.startsWith('.'))
        .map((entry) => entry.name);
    } catch {
      // no datasets folder at all
    }
    throw new ExpmanError(
      'DATASET_MISSING',
      `prepared dataset ${JSON.stringify(name)} not found (no ${file}); run \`expman preprocess\` first${available.length ? ` or pick one of: ${available.join(', ')}` : ''}`,
      { file, key: 'data.dataset' },
    );
  }
  try {
    return parseToml(text) as unknown as DatasetInfo;
  } catch (error) {
    const e = error as { line?: number; col?: number; message: string };
    throw new ExpmanError('DATASET_MISSING', `${file}:${(e.line ?? 0) + 1}: invalid info.toml: ${e.message.split('\n')[0]}`, {
      file,
      line: (e.line ?? 0) + 1,
    });
  }
}
