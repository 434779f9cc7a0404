// The live data folder under load: `expman ui` serving real Chromium while a generator process writes 50 run
// folders at once, each appending events like a real run (10 epochs/s, 20 batch lines/s, status.json
// rewritten by temp + rename every epoch), plus a few runs created later under full load. Measured: how
// long until a new run shows in the open page (a MutationObserver on the sidebar), the page's frame rate
// (requestAnimationFrame), and the CPU time of the server process (/proc/<pid>/stat) — once with the
// fs.watch watcher and once with polling (EXPMAN_WATCH=poll), same page, same load.
/* global window, document, requestAnimationFrame, MutationObserver -- page.evaluate callbacks run in the page */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_DIR, EXPMAN, ROOT, median, printTable, writeResult } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CLK_TCK = 100; // Linux USER_HZ for /proc/<pid>/stat times

/** utime and stime of a process, in seconds. */
function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

function ensureRenderer() {
  if (existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) return;
  console.log('live-folder: building the UI (electron-vite build)…');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

async function startServer(data, mode) {
  // LIVE_FOLDER_PROFILE=<dir>: the server writes a CPU profile there (summarise with cpuprofile-summary.mjs).
  const profile = process.env.LIVE_FOLDER_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.LIVE_FOLDER_PROFILE] : [];
  const server = spawn(process.execPath, [...profile, EXPMAN, 'ui', '--data', data, '--port', '0', '--json'], {
    env: { ...process.env, DATA: '', EXPMAN_WATCH: mode, EXPMAN_LOG_DIR: join(data, '.bench-logs') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`expman ui exited with ${code}`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line).url));
  });
  return { server, url };
}

async function measureMode(browser, mode, { runs, seconds, late }) {
  const data = mkdtempSync(join(tmpdir(), 'expman-bench-live-'));
  mkdirSync(join(data, 'experiments', 'bench', 'models'), { recursive: true });
  const { server, url } = await startServer(data, mode);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}#/experiments/bench`);
    await page.waitForSelector('[data-experiment="bench"]');
    // In the page: when each run's sidebar row appears, and every frame's time.
    await page.evaluate(() => {
      const seen = {};
      const frames = [];
      window.liveBench = { seen, frames };
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-run]')) {
          const key = el.getAttribute('data-run');
          if (!(key in seen)) seen[key] = performance.timeOrigin + performance.now();
        }
      }).observe(document.body, { childList: true, subtree: true });
      const loop = (t) => {
        frames.push(t);
        if (!window.liveBench.stop) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    });
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = cpuTimes(server.pid);
    const t0 = performance.now();
    const created = {};
    let epochsPerSecond = NaN;
    const writer = spawn(process.execPath, [join(BENCH_DIR, 'live-folder-writer.mjs'), data, String(runs), String(seconds), String(late)], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: writer.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.run) created[`bench/${message.run}`] = message.created;
      else epochsPerSecond = message.epochsPerSecond;
    });
    await new Promise((resolve) => writer.once('exit', resolve));
    // CPU while the generator wrote; then time for the last pushes (polling: a period and a flush).
    const cpu1 = cpuTimes(server.pid);
    const wall = (performance.now() - t0) / 1000;
    const cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / wall;
    const cpuSystem = (cpu1.system - cpu0.system) / wall;
    await new Promise((r) => setTimeout(r, mode === 'poll' ? 2000 : 1000));
    const { seen, frames, finishedRows } = await page.evaluate(() => {
      window.liveBench.stop = true;
      return { ...window.liveBench, finishedRows: document.querySelectorAll('[data-run] [data-status="finished"]').length };
    });
    const latency = (keys) => keys.map((k) => (seen[k] === undefined ? Infinity : seen[k] - created[k]));
    const keys = Object.keys(created);
    const burst = latency(keys.filter((k) => k.startsWith('bench/run-')));
    const later = latency(keys.filter((k) => k.startsWith('bench/late-')));
    // Frame rate over the generation window, and the worst gap between frames.
    const window_ = frames.filter((t) => t >= frames[0] + 1000);
    const span = (window_.at(-1) - window_[0]) / 1000;
    const fps = (window_.length - 1) / span;
    const gaps = window_.slice(1).map((t, i) => t - window_[i]);
    const slow = gaps.filter((g) => g > 1000 / 30).length;
    await page.close();
    return { mode, runs: burst.length, late: later.length, burstMedianMs: median(burst), burstMaxMs: Math.max(...burst), lateMaxMs: Math.max(...later), lateMedianMs: median(later), fps, worstFrameMs: Math.max(...gaps), slowFrames: slow, frames: gaps.length, cpuPercent: cpu * 100, cpuSystemPercent: cpuSystem * 100, finishedRows, epochsPerSecond };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(data, { recursive: true, force: true });
  }
}

export async function run({ quick = false } = {}) {
  if (!existsSync(CHROMIUM)) {
    console.log(`live-folder: skipped, no Chromium at ${CHROMIUM} (set CHROMIUM=/path/to/chrome)`);
    return { pass: null };
  }
  ensureRenderer();
  const load = { runs: 50, seconds: quick ? 6 : 20, late: quick ? 2 : 5 };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  const results = [];
  try {
    for (const mode of ['watch', 'poll']) results.push(await measureMode(browser, mode, load));
  } finally {
    await browser.close();
  }
  const ms = (v) => (Number.isFinite(v) ? v.toFixed(0) : 'never');
  printTable(
    `live-folder — ${load.runs} runs written at once (10 epochs/s + 20 batch lines/s each, status.json per epoch) for ${load.seconds} s, ${load.late} more started under load; expman ui + headless Chromium on the experiment page`,
    ['watcher', 'epochs/s per run (achieved)', 'new run shown: burst median / max ms', 'later runs median / max ms', 'fps', 'worst frame ms', 'frames > 33 ms', 'server CPU % of a core (system)', 'rows finished'],
    results.map((r) => [
      r.mode === 'watch' ? 'fs.watch (default)' : 'polling (EXPMAN_WATCH=poll)',
      r.epochsPerSecond.toFixed(1),
      `${ms(r.burstMedianMs)} / ${ms(r.burstMaxMs)}`,
      `${ms(r.lateMedianMs)} / ${ms(r.lateMaxMs)}`,
      r.fps.toFixed(1),
      r.worstFrameMs.toFixed(0),
      `${r.slowFrames} of ${r.frames}`,
      `${r.cpuPercent.toFixed(1)} (${r.cpuSystemPercent.toFixed(1)})`,
      `${r.finishedRows} of ${r.runs + r.late}`,
    ]),
    [
      'targets (default watcher): a new run shows within 1 s, ≥ 30 fps, server CPU < 10 % of one core',
      'shown: from the generator creating the run folder to its row appearing in the page (same machine clock)',
      'CPU: utime + stime of the `expman ui` process over the generation window / wall time',
    ],
  );
  const main = results[0];
  const pass = main.burstMaxMs <= 1000 && main.lateMaxMs <= 1000 && main.fps >= 30 && main.cpuPercent < 10;
  await writeResult('live-folder', { load, results, pass });
  return { pass };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { pass } = await run({ quick: process.argv.includes('--quick') });
  process.exitCode = pass === false ? 1 : 0;
}
