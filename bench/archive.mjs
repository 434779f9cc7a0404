// Benchmark `archive`: `expman archive` of a generated data folder (thousands of small logs, large float32
// checkpoint files) against GNU `tar czf` and `tar -I 'pigz -6' -cf` on the same folder in the same run:
// wall time, throughput, archive size and peak RSS, each in a fresh process.
// Also `expman archive --format zst` against gzip -6 (and `tar -I 'zstd -1 -T0'` for reference), and
// `expman archive restore` against `tar xzf` of the same archive.
// Targets: expman time ≤ pigz time on the same cores, with an archive at most 2 % larger, in at most
// 64 MiB; zst ≥ 10× gzip -6's speed at a size within 5 % of it; restore ≤ 1.2× tar xzf's time.
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { EXPMAN, OUTPUT_DIR, fmt, measureProcess, medians, printTable, rng, rssMethod, writeResult } from './lib.mjs';

export const TARGETS = {
  time_ratio_vs_pigz_max: 1.0,
  size_ratio_vs_pigz_max: 1.02,
  peak_mib_max: 64,
  zst_speed_vs_gzip_min: 10,
  zst_size_vs_gzip_max: 1.05,
  restore_time_vs_tar_max: 1.2,
};

const MIB = 2 ** 20;

/** Float32 weights, normally distributed like trained ones: gzip saves only ~7 % on them, as on real checkpoints. */
function weights(bytes, random) {
  const values = new Float32Array(bytes / 4);
  for (let i = 0; i < values.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random())) * 0.05;
    const t = 2 * Math.PI * random();
    values[i] = r * Math.cos(t);
    if (i + 1 < values.length) values[i + 1] = r * Math.sin(t);
  }
  return Buffer.from(values.buffer);
}

/**
 * A data folder of about `mib` MiB, generated once and cached in bench/output/data/: 15 % small text
 * files (run.log, metrics.jsonl, status.json, config.toml of 2 runs per MiB: ~8,000 files for 1 GiB; a
 * prepared CSV), 85 % float32 weights (one run in 32 keeps a best model and two checkpoints of ~4.5 MiB
 * each at 1 GiB; the others a 16 KiB best model).
 */
export async function generate(mib) {
  const root = join(OUTPUT_DIR, 'data', `archive-${mib}mib`);
  if (existsSync(join(root, '.complete'))) return root;
  await fs.rm(root, { recursive: true, force: true });
  const random = rng(mib);
  const runs = Math.max(32, Math.round(mib * 2));
  // One run in 32 keeps its best model and two checkpoints with large weights (85 % of the bytes).
  const bigRuns = Math.ceil(runs / 32);
  const partBytes = Math.round((mib * MIB * 0.85) / bigRuns / 3 / 4) * 4;
  const textBytes = (mib * MIB * 0.15) / runs;
  await fs.mkdir(join(root, 'datasets', 'prepared-dataset'), { recursive: true });
  let csv = 'sepal_length,sepal_width,petal_length,petal_width,species\n';
  while (csv.length < 4 * MIB) csv += `${(4 + random() * 4).toFixed(1)},${(2 + random() * 2).toFixed(1)},${(1 + random() * 6).toFixed(1)},${(random() * 2.5).toFixed(1)},${['setosa', 'versicolor', 'virginica'][Math.floor(random() * 3)]}\n`;
  await fs.writeFile(join(root, 'datasets', 'prepared-dataset', 'train.csv'), csv);
  for (let r = 0; r < runs; r++) {
    const run = join(root, 'experiments', `exp-${r % 20}`, 'models', `run-2026010${r % 9}-${String(r).padStart(6, '0')}`);
    await fs.mkdir(join(run, 'logs'), { recursive: true });
    let log = '';
    let metrics = '';
    for (let epoch = 0; log.length + metrics.length < textBytes; epoch++) {
      const loss = Math.exp(-epoch / 40) + random() * 0.01;
      log += `[2026-01-01 12:${String(epoch % 60).padStart(2, '0')}:${String(Math.floor(random() * 60)).padStart(2, '0')}.${String(Math.floor(random() * 1000)).padStart(3, '0')}] [info] epoch ${epoch}: loss=${loss.toFixed(6)} accuracy=${(1 - loss / 2).toFixed(6)} val_loss=${(loss * 1.1).toFixed(6)}\n`;
      metrics += `${JSON.stringify({ event: 'epoch_end', time: new Date(Date.UTC(2026, 0, 1) + epoch * 1234).toISOString(), epoch, loss, accuracy: 1 - loss / 2, duration_ms: Math.round(random() * 1000) })}\n`;
    }
    await fs.writeFile(join(run, 'logs', 'run.log'), log);
    await fs.writeFile(join(run, 'logs', 'metrics.jsonl'), metrics);
    await fs.writeFile(join(run, 'status.json'), JSON.stringify({ status: 'finished', epoch: 100, epochs: 100 }, null, 2));
    await fs.writeFile(join(run, 'config.toml'), `[training]\nepochs = 100\nseed = ${r}\n`);
    const big = r % 32 === 0;
    const parts = big ? ['best-model', 'checkpoints/model-checkpoint-epoch-50', 'checkpoints/model-checkpoint-epoch-100'] : ['best-model'];
    for (const part of parts) {
      await fs.mkdir(join(run, part), { recursive: true });
      await fs.writeFile(join(run, part, 'model.json'), JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'] }] }));
      await fs.writeFile(join(run, part, 'weights.bin'), weights(big ? partBytes : 16 * 1024, random));
    }
  }
  await fs.writeFile(join(root, '.complete'), '');
  return root;
}

/** User + system CPU seconds of the measured process and its children, from /usr/bin/time -v (NaN without it). */
function cpuSeconds(stderr) {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return user && system ? Number(user[1]) + Number(system[1]) : NaN;
}

function folderStats(root) {
  const files = Number(spawnSync('sh', ['-c', `find "$1" -type f | wc -l`, 'sh', root], { encoding: 'utf8' }).stdout.trim());
  const bytes = Number(spawnSync('du', ['-sb', '--exclude=.complete', root], { encoding: 'utf8' }).stdout.split('\t')[0]);
  return { files, bytes };
}

export async function run({ quick = false, repeats } = {}) {
  const mib = Number(process.env.EXPMAN_BENCH_ARCHIVE_MIB ?? (quick ? 64 : 1024));
  // GNU tar czf alone takes minutes on 1 GiB: one round unless asked (--repeat N).
  const times = repeats ?? 1;
  console.log(`archive: generating (or reusing) a ${mib} MiB data folder (EXPMAN_BENCH_ARCHIVE_MIB to change)…`);
  const root = realpathSync(await generate(mib)); // bench/output/data may link to another checkout's folder
  const { files, bytes } = folderStats(root);
  const pigz = spawnSync('pigz', ['--version'], { encoding: 'utf8' });
  const hasPigz = pigz.status === 0;
  const zstd = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
  const hasZstd = zstd.status === 0;
  const zstdVersion = /v[\d.]+/.exec(zstd.stdout ?? '')?.[0] ?? '';
  const work = await fs.mkdtemp(join(OUTPUT_DIR, 'archive-'));
  // Warm the page cache so the first tool does not pay for the disk alone.
  spawnSync('sh', ['-c', 'tar cf - -C "$1" . | cat > /dev/null', 'sh', root]);
  console.log(`archive: ${files.toLocaleString('en-US')} files, ${(bytes / MIB).toFixed(0)} MiB in ${root}; ${availableParallelism()} cores; ${times} round(s)`);

  const tools = [
    { name: 'gzip', label: 'GNU tar czf (gzip -6, 1 thread)', cmd: (out) => ['tar', ['czf', out, '-C', root, '--exclude=./.complete', '.']] },
    ...(hasPigz ? [{ name: 'pigz', label: `GNU tar -I 'pigz -6' (${pigz.stderr.trim() || pigz.stdout.trim()})`, cmd: (out) => ['tar', ['-I', 'pigz -6', '-cf', out, '-C', root, '--exclude=./.complete', '.']] }] : []),
    { name: 'expman', label: 'expman archive (parallel gzip -6 members)', cmd: (out) => [process.execPath, [EXPMAN, 'archive', '--data', root, '--out', out]], kind: 'node' },
    ...(hasZstd
      ? [
          { name: 'zstd', label: `GNU tar -I 'zstd -1 -T0' (zstd ${zstdVersion})`, ext: '.tar.zst', cmd: (out) => ['tar', ['-I', 'zstd -1 -T0', '-cf', out, '-C', root, '--exclude=./.complete', '.']] },
          { name: 'expman_zst', label: 'expman archive --format zst (zstd -1)', ext: '.tar.zst', cmd: (out) => [process.execPath, [EXPMAN, 'archive', '--data', root, '--format', 'zst', '--out', out]], kind: 'node' },
        ]
      : []),
  ];
  const restoreTools = [
    { name: 'tar_xzf', label: 'GNU tar xzf (baseline)', cmd: (file, into) => ['tar', ['xzf', file, '-C', into]] },
    { name: 'expman_restore', label: 'expman archive restore (.tar.gz)', cmd: (file, into) => [process.execPath, [EXPMAN, 'archive', 'restore', file, '--into', into]], kind: 'node', fresh: true },
    ...(hasZstd
      ? [
          { name: 'tar_xzst', label: "GNU tar -I zstd -xf (.tar.zst)", zst: true, cmd: (file, into) => ['tar', ['-I', 'zstd', '-xf', file, '-C', into]] },
          { name: 'expman_restore_zst', label: 'expman archive restore (.tar.zst)', zst: true, cmd: (file, into) => [process.execPath, [EXPMAN, 'archive', 'restore', file, '--into', into]], kind: 'node', fresh: true },
        ]
      : []),
  ];
  // EXPMAN_BENCH_ARCHIVE_ONLY=restore: only the restore table (expman's two archives are made once, to restore).
  const restoreOnly = process.env.EXPMAN_BENCH_ARCHIVE_ONLY === 'restore';
  if (restoreOnly) tools.splice(0, tools.length, ...tools.filter((t) => t.name === 'expman' || t.name === 'expman_zst'));
  const restoreSamples = Object.fromEntries(restoreTools.map((t) => [t.name, []]));
  const samples = Object.fromEntries(tools.map((t) => [t.name, []]));
  try {
    for (let i = 0; i < (restoreOnly ? 1 : times); i++) {
      for (const tool of tools) {
        const out = join(work, `${tool.name}-${i}${tool.ext ?? '.tar.gz'}`);
        const [command, args] = tool.cmd(out);
        const { wallMs, peakMiB, stderr } = await measureProcess(command, args, { kind: tool.kind ?? 'other' });
        const cpuMs = cpuSeconds(stderr) * 1000;
        const size = (await fs.stat(out)).size;
        // expman's own archives are restored below; the others are not needed any more.
        if (tool.name === 'expman') await fs.rename(out, join(work, 'restore.tar.gz'));
        else if (tool.name === 'expman_zst') await fs.rename(out, join(work, 'restore.tar.zst'));
        else await fs.rm(out);
        samples[tool.name].push({ wall_ms: wallMs, cpu_ms: cpuMs, peak_mib: peakMiB, size_bytes: size });
        console.log(`  ${tool.name} run ${i + 1}/${times}: ${fmt.s(wallMs)} s (cpu ${fmt.s(cpuMs)} s), ${(size / MIB).toFixed(1)} MiB, peak ${fmt.mib(peakMiB)} MiB`);
      }
    }
    // Restore: the same expman archive, extracted by GNU tar and restored by expman, alternately, each
    // into a new folder on the same file system (removed after each run).
    for (let i = 0; i < times; i++) {
      for (const tool of restoreTools) {
        const file = join(work, tool.zst ? 'restore.tar.zst' : 'restore.tar.gz');
        const into = join(work, `into-${tool.name}`);
        if (!tool.fresh) await fs.mkdir(into);
        spawnSync('sync');
        const [command, args] = tool.cmd(file, into);
        const { wallMs, peakMiB, stderr } = await measureProcess(command, args, { kind: tool.kind ?? 'other' });
        const cpuMs = cpuSeconds(stderr) * 1000;
        await fs.rm(into, { recursive: true, force: true });
        restoreSamples[tool.name].push({ wall_ms: wallMs, cpu_ms: cpuMs, peak_mib: peakMiB });
        console.log(`  ${tool.name} run ${i + 1}/${times}: ${fmt.s(wallMs)} s (cpu ${fmt.s(cpuMs)} s), peak ${fmt.mib(peakMiB)} MiB`);
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }

  const results = Object.fromEntries(tools.map((t) => [t.name, { label: t.label, ...medians(samples[t.name]), runs: samples[t.name] }]));
  const restored = Object.fromEntries(restoreTools.map((t) => [t.name, { label: t.label, ...medians(restoreSamples[t.name]), runs: restoreSamples[t.name] }]));
  const restoreRatio = restored.expman_restore.wall_ms / restored.tar_xzf.wall_ms;
  const restorePass = restoreRatio <= TARGETS.restore_time_vs_tar_max;
  const restoreTable = () =>
    printTable(
      `restore — the same expman archive (${(results.expman.size_bytes / MIB).toFixed(0)} MiB .tar.gz) into a new folder (median of ${times}; ratio vs tar xzf, same run)`,
      ['tool', 'time s', 'cpu s', 'MiB/s', 'peak MiB', 'vs tar xzf'],
      restoreTools.map((t) => {
        const r = restored[t.name];
        return [t.label, fmt.s(r.wall_ms), fmt.s(r.cpu_ms), (bytes / MIB / (r.wall_ms / 1000)).toFixed(1), fmt.mib(r.peak_mib), fmt.ratio(r.wall_ms / restored.tar_xzf.wall_ms)];
      }),
      [
        `target: expman restore ≤ ${TARGETS.restore_time_vs_tar_max}× tar xzf: ${fmt.verdict(restorePass)} (${fmt.ratio(restoreRatio)}); expman reads the archive once (gzip through pigz -d in a child, as tar runs gzip -d), stages every file with its mode and mtime, checks every entry and sha256 against the MANIFEST, then renames it all into place or nothing; tar only writes`,
      ],
    );
  if (restoreOnly) {
    restoreTable();
    const file = await writeResult('archive-restore', { folder: { mib, files, bytes }, restore: restored, targets: TARGETS, restore_time_vs_tar: restoreRatio, pass: restorePass });
    console.log(`written ${file}`);
    return { pass: restorePass };
  }
  const base = results.pigz ?? results.gzip;
  const rows = tools.map((t) => {
    const r = results[t.name];
    return [t.label, fmt.s(r.wall_ms), fmt.s(r.cpu_ms), (bytes / MIB / (r.wall_ms / 1000)).toFixed(1), (r.size_bytes / MIB).toFixed(1), `${((100 * r.size_bytes) / bytes).toFixed(1)}%`, fmt.mib(r.peak_mib), fmt.ratio(r.wall_ms / results.gzip.wall_ms), results.pigz ? fmt.ratio(r.wall_ms / results.pigz.wall_ms) : 'n/a', fmt.ratio(r.size_bytes / base.size_bytes)];
  });
  const timeRatio = results.pigz ? results.expman.wall_ms / results.pigz.wall_ms : NaN;
  const sizeRatio = results.pigz ? results.expman.size_bytes / results.pigz.size_bytes : NaN;
  const peak = results.expman.peak_mib;
  const gzPass = results.pigz ? timeRatio <= TARGETS.time_ratio_vs_pigz_max && sizeRatio <= TARGETS.size_ratio_vs_pigz_max : null;
  const peakPass = peak <= TARGETS.peak_mib_max;
  const zstSpeed = results.expman_zst ? results.gzip.wall_ms / results.expman_zst.wall_ms : NaN;
  const zstSize = results.expman_zst ? results.expman_zst.size_bytes / results.gzip.size_bytes : NaN;
  const zstPass = results.expman_zst ? zstSpeed >= TARGETS.zst_speed_vs_gzip_min && zstSize <= TARGETS.zst_size_vs_gzip_max : null;
  const verdicts = [gzPass, peakPass, zstPass, restorePass];
  const pass = verdicts.includes(false) ? false : verdicts.includes(null) ? null : true;
  printTable(
    `archive — ${(bytes / MIB).toFixed(0)} MiB, ${files.toLocaleString('en-US')} files (median of ${times}; ratios vs tools in the same run)`,
    ['tool', 'time s', 'cpu s', 'MiB/s', 'archive MiB', 'of input', 'peak MiB', 'vs gzip', 'vs pigz', 'size vs pigz'],
    rows,
    [
      results.pigz
        ? `target: expman time ≤ pigz and size ≤ ${TARGETS.size_ratio_vs_pigz_max}× pigz: ${fmt.verdict(gzPass)} (time ${fmt.ratio(timeRatio)}, size ${fmt.ratio(sizeRatio)})`
        : 'target not judged: pigz is not installed (apt install pigz)',
      `target: expman peak memory ≤ ${TARGETS.peak_mib_max} MiB: ${fmt.verdict(peakPass)} (${fmt.mib(peak)} MiB)`,
      results.expman_zst
        ? `target: --format zst ≥ ${TARGETS.zst_speed_vs_gzip_min}× the speed of gzip -6, size ≤ ${TARGETS.zst_size_vs_gzip_max}× gzip's: ${fmt.verdict(zstPass)} (${zstSpeed.toFixed(1)}× the speed, size ${fmt.ratio(zstSize)})`
        : 'target not judged: zstd is not installed (apt install zstd)',
      `time: wall time of the whole process; cpu: its user + system time (all threads and children: on a busy machine the steadier figure of work done); peak memory: ${rssMethod}`,
    ],
  );
  restoreTable();
  const file = await writeResult('archive', {
    folder: { mib, files, bytes },
    results,
    restore: restored,
    targets: TARGETS,
    time_ratio_vs_pigz: timeRatio,
    size_ratio_vs_pigz: sizeRatio,
    zst_speed_vs_gzip: zstSpeed,
    zst_size_vs_gzip: zstSize,
    restore_time_vs_tar: restoreRatio,
    pass,
  });
  console.log(`written ${file}`);
  return { pass };
}
