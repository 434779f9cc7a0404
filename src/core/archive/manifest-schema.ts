import { z } from 'zod';
import { ExpmanError } from '../errors.js';
import { MANIFEST_FORMAT, MANIFEST_NAME, type Manifest } from './manifest.js';

// Loaded on demand by parseManifest (manifest.ts): only reading a MANIFEST needs zod.
export const fileSchema = z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export const linkSchema = z.object({ path: z.string(), target: z.string() });
export const liveRunSchema = z.object({
  experiment: z.string(),
  model: z.string(),
  path: z.string(),
  pid: z.number(),
  host: z.string(),
  updated: z.string(),
});
export const skippedSchema = z.object({ path: z.string(), reason: z.string() });

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  provenance: z.object({
    created: z.string(),
    tool_version: z.string(),
    node_version: z.string(),
    host: z.string(),
    platform: z.string(),
    git_commit: z.string().optional(),
    git_dirty: z.boolean().optional(),
    data_dir: z.string(),
  }),
  options: z.object({ exclude_checkpoints: z.boolean(), only: z.array(z.string()) }),
  /** Runs that were training while the archive was made: their newest checkpoint may be missing. */
  live_runs: z.array(liveRunSchema),
  /** What was left out on purpose, and why (a file that vanished mid-archive, a link leaving the folder). */
  skipped: z.array(skippedSchema),
  files: z.array(fileSchema),
  links: z.array(linkSchema),
});

export function parseManifestText(text: string, archive: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ExpmanError('ARCHIVE_INVALID', `${archive}: ${MANIFEST_NAME} is not valid JSON (${(error as Error).message})`, { file: archive });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExpmanError('ARCHIVE_INVALID', `${archive}: ${MANIFEST_NAME}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { file: archive, key: issue.path.join('.') });
  }
  return parsed.data;
}
