import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreArchive } from '../../../src/core/archive/restore.js';
import { verifyArchive } from '../../../src/core/archive/verify.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { craftArchive, type CraftedEntry } from './craft-archive.js';
import { snapshotTree } from './tree-snapshot.js';

/** How long the fuzz runs; EXPMAN_FUZZ_SECONDS raises it for a longer hunt. */
const BUDGET_MS = Number(process.env['EXPMAN_FUZZ_SECONDS'] ?? 20) * 1000;

/** A small seeded generator (mulberry32), so a failure can be replayed from the seed it prints. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Rng = ReturnType<typeof rng>;

const TYPES: ReadonlyArray<CraftedEntry['type']> = ['File', 'File', 'File', 'Directory', 'Directory', 'SymbolicLink', 'SymbolicLink', 'SymbolicLink', 'Link', 'CharacterDevice', 'BlockDevice', 'FIFO'];

const HOSTILE_SEGMENTS = ['a', 'b', 'c', 'd', 'e', 'out', 'up', 'keep.txt', 'MANIFEST', '.', '', '..', 'n'.repeat(120), 'm'.repeat(256), '.tmp-x'];
/** Plain names only: archives that are mostly valid, so the success path (and links resolved on disk) is exercised too. */
const PLAIN_SEGMENTS = ['a', 'b', 'c', 'd', 'x.txt', 'y', 'n'.repeat(120)];
let plain = false;

function segment(r: Rng): string {
  return r.pick(plain ? PLAIN_SEGMENTS : HOSTILE_SEGMENTS);
}

/** A random stored path: "." and "" segments, "..", leading "./", absolute paths into the work folder, long names. */
function randomPath(r: Rng, work: string): string {
  const parts = Array.from({ length: 1 + r.int(4) }, () => segment(r));
  let path = parts.join('/');
  const form = plain ? 9 : r.int(10);
  if (form === 0) path = `./${path}`;
  else if (form === 1) path = `${work}/outside/${path}`;
  else if (form === 2) path = `${path}/`;
  return path || r.pick(['.', './', 'x']);
}

function randomTarget(r: Rng, work: string): string {
  const form = plain ? 7 : r.int(8);
  if (form === 0) return `${work}/outside`;
  if (form === 1) return '';
  const ups = Array.from({ length: r.int(4) }, () => '..');
  const rest = Array.from({ length: r.int(3) }, () => segment(r));
  return [...ups, ...rest].join('/') || '.';
}

function randomArchive(r: Rng, work: string): { entries: CraftedEntry[]; manifest: 'auto' | 'none' } {
  const entries: CraftedEntry[] = [];
  plain = r.int(2) === 0;
  const count = 1 + r.int(8);
  for (let i = 0; i < count; i++) {
    if (!plain && entries.length && r.int(8) === 0) {
      entries.push({ ...r.pick(entries) }); // a duplicate entry
      continue;
    }
    const type = plain ? r.pick(TYPES.slice(0, 8)) : r.pick(TYPES);
    const entry: CraftedEntry = { path: randomPath(r, work), type, mode: r.pick([0o644, 0o755, 0o4755, 0o600, 0o2755]) };
    if (type === 'File') entry.data = `content ${i} ${r.int(1000)}`;
    if (type === 'SymbolicLink' || type === 'Link') entry.linkpath = randomTarget(r, work);
    entries.push(entry);
  }
  return { entries, manifest: !plain && r.int(10) === 0 ? 'none' : 'auto' };
}

/** DIR holds files, a folder and a link to outside DIR, so restores can conflict with them or try to write through them. */
function populate(into: string, work: string): void {
  mkdirSync(join(into, 'a'), { recursive: true });
  writeFileSync(join(into, 'a', 'keep.txt'), 'keep');
  writeFileSync(join(into, 'b'), 'b');
  symlinkSync(join(work, 'outside'), join(into, 'out'));
  symlinkSync('..', join(into, 'up'));
}

describe('restore fuzz: generated archives never write outside DIR, and verify agrees with restore', () => {
  it(`runs for ${BUDGET_MS / 1000} s`, { timeout: BUDGET_MS + 60_000 }, async () => {
    const started = Date.now();
    const seed0 = Number(process.env['EXPMAN_FUZZ_SEED'] ?? Date.now() % 1_000_000);
    let runs = 0;
    let restored = 0;
    let restoredEmpty = 0;
    for (let seed = seed0; Date.now() - started < BUDGET_MS; seed++) {
      runs++;
      const r = rng(seed);
      const work = tempDataDir(false);
      mkdirSync(join(work, 'outside', 'deep'), { recursive: true });
      writeFileSync(join(work, 'outside', 'deep', 'sentinel.txt'), 'sentinel');
      // DIR three levels down, so '..' chains of up to three stay inside the watched work folder.
      const into = join(work, 'w1', 'w2', 'into');
      populate(into, work);
      const empty = join(work, 'w1', 'w2', 'empty');
      const { entries, manifest } = randomArchive(r, work);
      const file = join(work, 'fuzz.tar.gz');
      writeFileSync(file, craftArchive(entries, manifest));
      const context = `seed ${seed}: ${JSON.stringify(entries.map((e) => [e.type, e.path, e.linkpath]))}`;

      const before = snapshotTree(work);
      const force = r.int(2) === 0;
      const outcome = await restoreArchive(file, into, { force }).then(
        () => 'ok' as const,
        (error: Error & { code?: string }) => error.code ?? `internal ${error.message}`,
      );
      expect(outcome, context).not.toMatch(/^internal/);
      const after = snapshotTree(work);
      if (outcome === 'ok') {
        restored++;
        const outsideInto = (snap: Record<string, string>) => Object.fromEntries(Object.entries(snap).filter(([p]) => !p.startsWith('w1/w2/into/')));
        expect(outsideInto(after), context).toEqual(outsideInto(before));
        expect(Object.keys(after).filter((p) => p.includes('/.tmp-restore-')), context).toEqual([]);
      } else {
        expect(after, `${context} (failed with ${outcome})`).toEqual(before);
      }

      // The same rules in both: verify says OK exactly when a restore into an empty DIR succeeds.
      const verified = await verifyArchive(file).then(
        (report) => report.ok,
        () => false,
      );
      const intoEmpty = await restoreArchive(file, empty).then(
        () => true,
        () => false,
      );
      if (intoEmpty) restoredEmpty++;
      expect(intoEmpty, `${context}: verify says ${verified ? 'OK' : 'not OK'}`).toBe(verified);
      rmSync(work, { recursive: true, force: true });
    }
    console.log(`restore fuzz: ${runs} archives from seed ${seed0}, ${restored} restored into a populated DIR, ${restoredEmpty} into an empty one, the rest refused`);
    expect(runs).toBeGreaterThan(20); // a loaded machine runs fewer; each one still checks everything
    // The generator must also make valid archives, or the success path goes untested.
    expect(restored).toBeGreaterThan(0);
    expect(restoredEmpty).toBeGreaterThan(runs / 10);
  });
});
