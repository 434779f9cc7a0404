import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Float32 "weights": normally distributed values compress like real checkpoints (poorly, not at all random bytes). */
export function fakeWeights(count: number, seed: number): Buffer {
  const values = new Float32Array(count);
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  for (let i = 0; i < count; i++) values[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * 0.05;
  return Buffer.from(values.buffer);
}

function write(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  chmodSync(path, mode);
}

/**
 * A data folder as expman leaves it, written directly (training would take seconds per run): a prepared
 * dataset, two experiments with a finished run each (best model, two checkpoints, logs), a relative link,
 * and a checkpoint still being written (`.tmp-…`) that no archive may contain.
 */
export function writeDataTree(root: string, options: { weights?: number } = {}): void {
  const weights = options.weights ?? 20_000;
  write(root, 'datasets/prepared-dataset/train.csv', 'a,b,label\n' + Array.from({ length: 200 }, (_, i) => `${i},${i * 2},c${i % 3}`).join('\n') + '\n');
  write(root, 'datasets/prepared-dataset/test.csv', 'a,b,label\n1,2,c1\n');
  write(root, 'datasets/prepared-dataset/info.toml', 'name = "prepared-dataset"\n');
  write(root, 'scripts/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  for (const [e, experiment] of ['e1', 'e2'].entries()) {
    const run = `experiments/${experiment}/models/run-${e}`;
    write(root, `experiments/${experiment}/config.toml`, '[training]\nepochs = 2\n');
    write(root, `${run}/config.toml`, `[provenance]\nseed = ${e}\n`);
    write(root, `${run}/status.json`, JSON.stringify({ status: 'finished', pid: 1, host: 'elsewhere', started: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', epoch: 2, epochs: 2, best: null }));
    write(root, `${run}/logs/run.log`, Array.from({ length: 300 }, (_, i) => `[2026-01-01 00:00:${String(i % 60).padStart(2, '0')}] epoch ${i} loss ${Math.exp(-i / 50).toFixed(6)}`).join('\n') + '\n');
    write(root, `${run}/logs/stderr.log`, ''); // empty files too
    write(root, `${run}/logs/metrics.jsonl`, Array.from({ length: 100 }, (_, i) => JSON.stringify({ event: 'epoch_end', epoch: i, loss: 1 / (i + 1) })).join('\n') + '\n');
    write(root, `${run}/best-model/model.json`, '{"format":"layers-model"}\n');
    write(root, `${run}/best-model/weights.bin`, fakeWeights(weights, 10 + e));
    for (const epoch of [1, 2]) {
      const dir = `${run}/checkpoints/model-checkpoint-epoch-${epoch}`;
      write(root, `${dir}/model.json`, '{"format":"layers-model"}\n');
      write(root, `${dir}/weights.bin`, fakeWeights(weights, 100 * e + epoch));
      write(root, `${dir}/state.json`, JSON.stringify({ epoch }));
    }
    write(root, `${run}/checkpoints/.tmp-model-checkpoint-epoch-3-123-abcd/weights.bin`, fakeWeights(100, 7));
    symlinkSync(`models/run-${e}`, join(root, `experiments/${experiment}/latest`));
  }
  // Distinct whole-second mtimes, set leaves first so folder mtimes stick.
  const all = listAll(root).reverse();
  all.forEach((rel, i) => {
    const time = new Date(Date.UTC(2025, 0, 1) + i * 61_000);
    if (!lstatSync(join(root, rel)).isSymbolicLink()) utimesSync(join(root, rel), time, time);
  });
}

/** Every path under root, relative, sorted, depth first. */
export function listAll(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const child = rel ? `${rel}/${name}` : name;
    out.push(child);
    if (lstatSync(join(root, child)).isDirectory()) out.push(...listAll(root, child));
  }
  return out;
}

/**
 * A comparable description of a tree: type, mode, whole-second mtime (of files and folders), and the
 * content or link target of every entry. Two trees are equal byte for byte when these are equal.
 */
export function describeTree(root: string, ignore: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listAll(root)) {
    if (ignore(rel)) continue;
    const stat = lstatSync(join(root, rel));
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(join(root, rel))}`;
    else if (stat.isDirectory()) out[rel] = `dir ${mode} ${Math.floor(stat.mtimeMs / 1000)}`;
    else out[rel] = `file ${mode} ${Math.floor(stat.mtimeMs / 1000)} ${stat.size} ${createHash('sha256').update(readFileSync(join(root, rel))).digest('hex')}`;
  }
  return out;
}
