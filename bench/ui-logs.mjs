/* global document, window, requestAnimationFrame -- functions passed to page.evaluate run in the page */
// Log viewer benchmark: a generated 1,000,000-line run.log opened in the real LogViewer (built with
// vite, bench/ui/) whose LogSource talks over HTTP to the real core LogIndex (bench/ui-logs-server.ts),
// driven by playwright-core in headless Chromium. Baselines measured in the same run: `wc -l` of the
// file, the naive page (fetch the whole file, show it in a <pre>), and an idle requestAnimationFrame loop
// (the frame pacing this machine gives when nothing happens). With EXPMAN_BENCH_BASELINE=<another checkout>
// (bench/lib.mjs) the same page built from that tree is measured too, interleaved round by round: first
// screens and the smooth scroll.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASELINE_ROOT, OUTPUT_DIR, buildBenchPage, bundle, fmt, median, printTable, rng, writeResult } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FIRST_SCREEN_TARGET_MS = 500;
const VIEWPORT = { width: 1280, height: 800 };

/** A run.log in electron-log's format with `lines` lines: epochs, batches, checkpoints, warnings, and an
 * error with a stack trace now and then; cached in bench/output/data/. */
async function runLog(lines) {
  const file = join(OUTPUT_DIR, 'data', `run-${lines}.log`);
  if (existsSync(file)) return file;
  await fs.mkdir(dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const random = rng(lines);
  const start = Date.parse('2026-11-26T05:00:00Z');
  let chunk = '';
  let epoch = 0;
  for (let n = 0; n < lines; ) {
    const time = new Date(start + n * 7).toISOString().replace('T', ' ').replace('Z', '');
    const roll = random();
    let entry;
    if (n % 200 === 0) {
      epoch++;
      const loss = (1.2 / Math.sqrt(epoch)).toFixed(4);
      entry = [`[${time}] [info]  epoch ${epoch}/5000 loss=${loss} accuracy=${(1 - loss / 2).toFixed(4)} val_loss=${(loss * 1.1).toFixed(4)} val_accuracy=${(0.95 - loss / 3).toFixed(4)} (${Math.round(80 + random() * 60)} ms)`];
    } else if (roll < 0.002) {
      entry = [
        `[${time}] [error]  checkpoint write failed: EIO: i/o error, write '/data/experiments/default/models/run-20261126-050000/checkpoints/model-checkpoint-epoch-${epoch}/weights.bin'`,
        '    at writeFileAtomic (src/core/fs/atomic.ts:31:7)',
        '    at saveCheckpoint (src/core/training/checkpoints.ts:88:5)',
      ];
    } else if (roll < 0.03) {
      entry = [`[${time}] [warn]  batch ${n % 200} took ${Math.round(200 + random() * 800)} ms (GC pause?); samples/s dropped to ${Math.round(2000 + random() * 3000)}`];
    } else if (roll < 0.25) {
      entry = [`[${time}] [debug]  batch ${n % 200}/200 loss=${(random() * 1.5).toFixed(5)} lr=0.001 grad_norm=${(random() * 4).toFixed(3)}`];
    } else {
      entry = [`[${time}] [info]  epoch ${epoch} batch ${n % 200}/200 loss=${(random() * 1.5).toFixed(4)} accuracy=${random().toFixed(4)} samples/s=${Math.round(4000 + random() * 2000)}`];
    }
    for (const line of entry) {
      if (n++ >= lines) break;
      chunk += `${line}\n`;
    }
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
      chunk = '';
    }
  }
  await new Promise((resolve, reject) => out.end(chunk, (error) => (error ? reject(error) : resolve())));
  await fs.rename(partial, file);
  return file;
}

/** Milliseconds from navigation start to the first frame with a screen of loaded rows. */
async function firstScreen(browser, url, timeout) {
  const page = await browser.newPage({ viewport: VIEWPORT });
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__bench.firstScreen !== undefined || window.__bench.error !== undefined, null, { timeout, polling: 20 });
    const marks = await page.evaluate(() => window.__bench);
    if (marks.error) throw new Error(marks.error);
    return marks.firstScreen;
  } finally {
    await page.close();
  }
}

/**
 * Scrolls the viewport by `step` each animation frame for `frames` frames ('screen': one viewport
 * height; 'random': to a random place; 0: not at all) and returns the frame intervals and the number
 * of frames that showed rows still being read (placeholders).
 */
async function scrollFrames(page, frames, step, selector = '.logv-viewport') {
  return page.evaluate(
    ({ frames, step, selector }) =>
      new Promise((resolve) => {
        const viewport = document.querySelector(selector);
        const intervals = [];
        let placeholders = 0;
        let last = 0;
        let frame = 0;
        const tick = (now) => {
          if (frame > 0) {
            intervals.push(now - last);
            if (viewport.querySelector('.logv-loading')) placeholders++;
          }
          last = now;
          if (frame++ >= frames) return resolve({ intervals, placeholders });
          if (step === 'screen') viewport.scrollTop += viewport.clientHeight;
          else if (step === 'random') viewport.scrollTop = Math.random() * (viewport.scrollHeight - viewport.clientHeight);
          else viewport.scrollTop += step;
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    { frames, step, selector },
  );
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run({ quick = false, repeats } = {}) {
  const lines = quick ? 100_000 : 1_000_000;
  const rounds = repeats ?? (quick ? 1 : 3);
  const frames = quick ? 120 : 300;
  const file = await runLog(lines);
  const size = (await fs.stat(file)).size;
  console.log(`ui-logs: ${fmt.int(lines)} lines (${(size / 2 ** 20).toFixed(1)} MiB) in ${file}; ${rounds} round(s), ${frames} frames per scroll pattern`);

  const pageDir = await buildBenchPage('logs.html', join(OUTPUT_DIR, 'ui-logs'));
  const baseDir = BASELINE_ROOT ? await buildBenchPage('logs.html', join(OUTPUT_DIR, 'ui-logs-baseline'), BASELINE_ROOT) : undefined;
  if (baseDir) console.log(`  baseline: the page built from ${BASELINE_ROOT}`);
  const { serveLog } = await import(pathToFileURL(await bundle('ui-logs-server')).href);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });

  const records = [];
  let scroll;
  const smoothRounds = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const wcStarted = performance.now();
      const wc = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
      const wcMs = performance.now() - wcStarted;
      if (wc.status !== 0 || Number(wc.stdout.trim().split(/\s+/)[0]) !== lines) throw new Error(`wc -l ${file}: ${wc.stderr || wc.stdout}`);

      // A fresh server per page: the index is built from scratch when the page first asks for lines.
      const results = {};
      const variants = [
        ['viewer (end, following)', '', false],
        ['viewer (start)', '?follow=0', false],
        ['viewer (end, index built)', '', true],
        ['viewer, in-page log', '?inpage', false],
        ['naive <pre>', '?naive', false],
      ];
      if (baseDir) variants.push(['baseline (end, following)', '', false, baseDir], ['baseline (start)', '?follow=0', false, baseDir]);
      for (const [name, query, preindex, dir = pageDir] of variants) {
        const server = await serveLog(file, dir, { preindex });
        try {
          const ms = await firstScreen(browser, `${server.url}/logs.html${query}`, 180_000);
          results[name] = { ms, indexMs: await server.indexMs() };
        } finally {
          await server.close();
        }
      }
      const record = {
        wc_ms: wcMs,
        viewer_end_ms: results['viewer (end, following)'].ms,
        viewer_start_ms: results['viewer (start)'].ms,
        index_ms: results['viewer (start)'].indexMs,
        viewer_warm_ms: results['viewer (end, index built)'].ms,
        floor_ms: results['viewer, in-page log'].ms,
        naive_ms: results['naive <pre>'].ms,
        ...(baseDir ? { baseline_end_ms: results['baseline (end, following)'].ms, baseline_start_ms: results['baseline (start)'].ms } : {}),
      };
      records.push(record);
      console.log(
        `  round ${round}/${rounds}: viewer ${fmt.int(record.viewer_end_ms)} ms (end) / ${fmt.int(record.viewer_start_ms)} ms (start; index ${fmt.int(record.index_ms)} ms) / ${fmt.int(record.viewer_warm_ms)} ms (index built), floor ${fmt.int(record.floor_ms)} ms, naive ${fmt.int(record.naive_ms)} ms, wc -l ${fmt.int(wcMs)} ms${baseDir ? `; baseline ${fmt.int(record.baseline_end_ms)} ms (end) / ${fmt.int(record.baseline_start_ms)} ms (start)` : ''}`,
      );
    }

    // Scrolling baseline: the same pattern over the naive page, where all text is laid out already and
    // a frame only paints (what this headless, GPU-less Chromium costs per frame of scrolling).
    const naiveServer = await serveLog(file, pageDir);
    const naivePage = await browser.newPage({ viewport: VIEWPORT });
    let naiveScroll;
    try {
      await naivePage.goto(`${naiveServer.url}/logs.html?naive`);
      await naivePage.waitForFunction(() => window.__bench.firstScreen !== undefined, null, { timeout: 180_000 });
      naiveScroll = await scrollFrames(naivePage, frames, 90, 'html');
    } finally {
      await naivePage.close();
      await naiveServer.close();
    }

    // Scrolling, and screenshots, on one page that stays open.
    const server = await serveLog(file, pageDir);
    const page = await browser.newPage({ viewport: VIEWPORT });
    try {
      await page.goto(`${server.url}/logs.html?follow=0`);
      await page.waitForFunction(() => window.__bench.firstScreen !== undefined, null, { timeout: 60_000 });
      // Scrolling measures rendering: let the (progressive) index finish first, as it has in the app
      // for a log it followed while the run wrote it.
      await server.indexMs();
      const patterns = [
        ['idle (baseline)', 0],
        ['smooth, 5 rows/frame', 90],
        ['one screen/frame', 'screen'],
        ['random jump/frame', 'random'],
      ];
      scroll = {};
      for (const [name, step] of patterns) scroll[name] = await scrollFrames(page, frames, step);
      scroll['naive <pre>, 5 rows/frame (baseline)'] = naiveScroll;

      // The target pattern again, once per round (the first is the one above), interleaved with the
      // baseline tree's page when there is one: a target only counts when it holds in every round.
      smoothRounds.push({ viewer: scroll['smooth, 5 rows/frame'] });
      const baseServer = baseDir ? await serveLog(file, baseDir) : undefined;
      const basePage = baseDir ? await browser.newPage({ viewport: VIEWPORT }) : undefined;
      try {
        if (basePage) {
          await basePage.goto(`${baseServer.url}/logs.html?follow=0`);
          await basePage.waitForFunction(() => window.__bench.firstScreen !== undefined, null, { timeout: 60_000 });
          await baseServer.indexMs();
        }
        for (let round = 1; round <= rounds; round++) {
          if (round > 1) {
            await page.bringToFront();
            await page.evaluate(() => (document.querySelector('.logv-viewport').scrollTop = 0));
            smoothRounds.push({ viewer: await scrollFrames(page, frames, 90) });
          }
          if (basePage) {
            await basePage.bringToFront();
            await basePage.evaluate(() => (document.querySelector('.logv-viewport').scrollTop = 0));
            smoothRounds[round - 1].baseline = await scrollFrames(basePage, frames, 90);
          }
        }
      } finally {
        await basePage?.close();
        await baseServer?.close();
      }
      await page.bringToFront();

      await page.evaluate(() => (document.querySelector('.logv-viewport').scrollTop = 0));
      const shots = join(OUTPUT_DIR, 'ui-logs');
      await page.locator('.logv-search-input').fill('checkpoint write failed');
      await page.waitForFunction(() => /of \d/.test(document.querySelector('.logv-count')?.textContent ?? ''), null, { timeout: 60_000 });
      await page.keyboard.press('Enter');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(shots, 'search-1280x800.png') });
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.locator('.logv-chip', { hasText: 'debug' }).click();
      await page.locator('.logv-search-input').fill(String.raw`loss=0\.0\d+`);
      await page.getByTitle('Regular expression').click();
      await page.waitForTimeout(1500);
      await page.screenshot({ path: join(shots, 'filter-regex-1920x1080.png') });
      console.log(`  screenshots: ${shots}/search-1280x800.png, filter-regex-1920x1080.png`);
    } finally {
      await page.close();
      await server.close();
    }
  } finally {
    await browser.close();
  }

  const m = Object.fromEntries(Object.keys(records[0]).map((key) => [key, median(records.map((r) => r[key]))]));
  printTable(
    `first screen of a ${fmt.int(lines)}-line log (median of ${rounds}; from navigation start; the index is built from the first read on)`,
    ['variant', 'ms', 'vs naive', 'vs wc -l'],
    [
      ['viewer, opened at the end (follow)', fmt.int(m.viewer_end_ms), fmt.ratio(m.viewer_end_ms / m.naive_ms), fmt.ratio(m.viewer_end_ms / m.wc_ms)],
      ['viewer, opened at the start', fmt.int(m.viewer_start_ms), fmt.ratio(m.viewer_start_ms / m.naive_ms), fmt.ratio(m.viewer_start_ms / m.wc_ms)],
      ['core index build to complete (server side; reads answered meanwhile)', fmt.int(m.index_ms), '', fmt.ratio(m.index_ms / m.wc_ms)],
      ['viewer, index already built (followed log)', fmt.int(m.viewer_warm_ms), fmt.ratio(m.viewer_warm_ms / m.naive_ms), fmt.ratio(m.viewer_warm_ms / m.wc_ms)],
      ['floor: viewer over 1,000 lines made in the page', fmt.int(m.floor_ms), fmt.ratio(m.floor_ms / m.naive_ms), fmt.ratio(m.floor_ms / m.wc_ms)],
      ['naive: whole file in a <pre> (baseline)', fmt.int(m.naive_ms), fmt.ratio(1), fmt.ratio(m.naive_ms / m.wc_ms)],
      ['wc -l (baseline)', fmt.int(m.wc_ms), '', fmt.ratio(1)],
    ],
    [`target: first screen < ${FIRST_SCREEN_TARGET_MS} ms`],
  );

  const idle = scroll['idle (baseline)'].intervals;
  const naive = scroll['naive <pre>, 5 rows/frame (baseline)'].intervals;
  const frameBudget = median(idle);
  const scrollRows = Object.entries(scroll).map(([name, { intervals, placeholders }]) => {
    const dropped = intervals.filter((dt) => dt > frameBudget * 1.5).length;
    return [name, intervals.length, percentile(intervals, 50).toFixed(1), percentile(intervals, 95).toFixed(1), Math.max(...intervals).toFixed(1), dropped, placeholders, fmt.ratio(percentile(intervals, 95) / percentile(naive, 95))];
  });
  printTable(
    `scrolling at ${VIEWPORT.width}×${VIEWPORT.height} (${frames} animation frames each; a frame is dropped when it takes > 1.5 × the idle median, ${frameBudget.toFixed(1)} ms)`,
    ['pattern', 'frames', 'p50 ms', 'p95 ms', 'max ms', 'dropped', 'placeholder frames', 'p95 vs naive'],
    scrollRows,
  );

  const droppedOf = (intervals) => intervals.filter((dt) => dt > frameBudget * 1.5).length;
  const smoothDropped = smoothRounds.map((r) => ({ viewer: droppedOf(r.viewer.intervals), baseline: r.baseline ? droppedOf(r.baseline.intervals) : undefined }));
  printTable(
    `smooth scroll (5 rows/frame, ${frames} frames) per round: dropped frames${baseDir ? `, against the baseline tree in the same round (${BASELINE_ROOT})` : ''}`,
    ['round', 'viewer dropped', 'viewer p95 ms', ...(baseDir ? ['baseline dropped', 'baseline p95 ms'] : [])],
    smoothRounds.map((r, i) => [i + 1, smoothDropped[i].viewer, percentile(r.viewer.intervals, 95).toFixed(1), ...(baseDir ? [smoothDropped[i].baseline, percentile(r.baseline.intervals, 95).toFixed(1)] : [])]),
    [`median: viewer ${median(smoothDropped.map((d) => d.viewer))}${baseDir ? `, baseline ${median(smoothDropped.map((d) => d.baseline))}` : ''}; first screen (median) viewer ${fmt.int(m.viewer_end_ms)} / ${fmt.int(m.viewer_start_ms)} ms (end / start)${baseDir ? `, baseline ${fmt.int(m.baseline_end_ms)} / ${fmt.int(m.baseline_start_ms)} ms` : ''}`],
  );

  const firstScreenMs = Math.max(m.viewer_end_ms, m.viewer_start_ms);
  const worstSmooth = Math.max(...smoothDropped.map((d) => d.viewer));
  const pass = firstScreenMs < FIRST_SCREEN_TARGET_MS && worstSmooth === 0;
  console.log(`\nfirst screen ${fmt.int(firstScreenMs)} ms: ${fmt.verdict(firstScreenMs < FIRST_SCREEN_TARGET_MS)}; smooth scroll dropped frames ${smoothDropped.map((d) => d.viewer).join(', ')} (every round must be 0): ${fmt.verdict(worstSmooth === 0)}`);
  await writeResult('ui-logs', { lines, bytes: size, rounds, records, medians: m, scroll, smooth_rounds: smoothDropped, baseline: BASELINE_ROOT ?? null, frame_budget_ms: frameBudget, pass });
  return { pass };
}
