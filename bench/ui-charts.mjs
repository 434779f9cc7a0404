// Chart drawing speed in Chromium: MetricChart (min/max-bucketed, src/renderer/src/charts) against bare
// uPlot fed every raw point, both measured in the same page and run. The page (bench/ui/charts.html) is
// built with vite and driven with playwright-core in headless Chromium (software rendering, no GPU).
/* global window -- page.evaluate callbacks run in the page */
import { createServer } from 'node:http';
import { existsSync, promises as fs } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { OUTPUT_DIR, buildBenchPage, fmt, median, printTable, writeResult } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PAGE_DIR = join(OUTPUT_DIR, 'ui-charts');


const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built page over http (module scripts do not load from file://). */
async function serve() {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname)).replace(/^([/\\])+/, '');
    try {
      const body = await fs.readFile(join(PAGE_DIR, path));
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/charts.html` };
}

export async function run({ quick = false, repeats } = {}) {
  if (!existsSync(CHROMIUM)) {
    console.log(`ui-charts: skipped, no Chromium at ${CHROMIUM} (set CHROMIUM=/path/to/chrome)`);
    return { pass: null };
  }
  const rounds = repeats ?? (quick ? 1 : 3);
  const firstPoints = quick ? 100_000 : 1_000_000;
  const livePoints = quick ? 10_000 : 100_000;
  const liveSeconds = quick ? 1 : 4;
  const batch = 100;
  await buildBenchPage('charts.html', PAGE_DIR);
  const { server, url } = await serve();
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    await page.waitForSelector('body[data-ready]', { state: 'attached' });
    const version = browser.version();

    // (a) first draw of one long series: interleaved rounds, median
    const first = { 'uplot-raw': [], 'metric-chart': [], 'metric-chart smoothed': [] };
    for (let r = 0; r < rounds + 1; r++) {
      const raw = await page.evaluate((o) => window.chartBench.firstDraw(o), { points: firstPoints, mode: 'uplot-raw', smoothing: 0 });
      const chart = await page.evaluate((o) => window.chartBench.firstDraw(o), { points: firstPoints, mode: 'metric-chart', smoothing: 0 });
      const smooth = await page.evaluate((o) => window.chartBench.firstDraw(o), { points: firstPoints, mode: 'metric-chart', smoothing: 0.6 });
      if (r === 0) continue; // warm-up: JIT and first canvas allocation
      first['uplot-raw'].push(raw);
      first['metric-chart'].push(chart);
      first['metric-chart smoothed'].push(smooth);
    }
    const med = (list, key) => median(list.map((m) => m[key]));
    const baseFirst = med(first['uplot-raw'], 'paintedMs');
    const chartFirst = med(first['metric-chart'], 'paintedMs');
    const smoothFirst = med(first['metric-chart smoothed'], 'paintedMs');
    printTable(
      `ui-charts (a) — first draw of a ${fmt.int(firstPoints)}-point series, 1000×240 px (median of ${rounds}; ratio vs bare uPlot, same page)`,
      ['chart', 'returned ms', 'painted ms', 'ratio'],
      [
        ['uPlot, raw points (baseline)', med(first['uplot-raw'], 'syncMs').toFixed(1), baseFirst.toFixed(1), fmt.ratio(1)],
        ['MetricChart (min/max buckets)', med(first['metric-chart'], 'syncMs').toFixed(1), chartFirst.toFixed(1), fmt.ratio(chartFirst / baseFirst)],
        ['MetricChart, smoothing 0.6', med(first['metric-chart smoothed'], 'syncMs').toFixed(1), smoothFirst.toFixed(1), fmt.ratio(smoothFirst / baseFirst)],
      ],
      [
        'returned: until the chart code returned (bare uPlot draws later, in a microtask); painted: until the frame after',
        'the drawing was presented, what the user waits for and the figure judged (ratio = painted / baseline painted)',
      ],
    );

    // (b) live updates: 4 series growing by `batch` points each per frame
    const live = {};
    for (const [name, options] of [
      ['idle', { mode: 'idle', smoothing: 0 }],
      ['uplot-raw', { mode: 'uplot-raw', smoothing: 0 }],
      ['metric-chart', { mode: 'metric-chart', smoothing: 0 }],
      ['metric-chart smoothed', { mode: 'metric-chart', smoothing: 0.6 }],
    ]) {
      live[name] = await page.evaluate((o) => window.chartBench.live(o), { series: 4, points: livePoints, batch, seconds: liveSeconds, ...options });
    }
    const liveRow = (label, m) => [label, m.fps.toFixed(1), m.p95FrameMs.toFixed(1), m.maxFrameMs.toFixed(1), fmt.int(m.pointsPerSeries), fmt.ratio(m.fps / live['uplot-raw'].fps)];
    printTable(
      `ui-charts (b) — 4 series × ${fmt.int(livePoints)} points, each growing by ${batch} points every frame for ${liveSeconds} s (fps from requestAnimationFrame timestamps)`,
      ['chart', 'fps', 'p95 frame ms', 'max frame ms', 'points/series at end', 'fps ratio'],
      [
        liveRow('no chart: the page’s frame rate', live.idle),
        liveRow('uPlot, raw points (baseline)', live['uplot-raw']),
        liveRow('MetricChart (min/max buckets)', live['metric-chart']),
        liveRow('MetricChart, smoothing 0.6', live['metric-chart smoothed']),
      ],
    );

    // interactions, in the real browser: drag-zoom shows "Reset zoom", double-click removes it
    const interactions = await checkInteractions(browser, url);
    const shots = await screenshots(browser, url);

    const firstOk = chartFirst < 100 && smoothFirst < 100;
    const liveOk = live['metric-chart'].fps >= 30 && live['metric-chart smoothed'].fps >= 30;
    const pass = firstOk && liveOk && interactions.ok;
    console.log(
      `targets: first draw of ${fmt.int(firstPoints)} points < 100 ms: ${fmt.verdict(firstOk)} (${chartFirst.toFixed(1)} ms, smoothed ${smoothFirst.toFixed(1)} ms); ` +
        `4 × ${fmt.int(livePoints)} live ≥ 30 fps: ${fmt.verdict(liveOk)} (${live['metric-chart'].fps.toFixed(1)} fps, smoothed ${live['metric-chart smoothed'].fps.toFixed(1)} fps); ` +
        `zoom/reset in Chromium: ${fmt.verdict(interactions.ok)}`,
    );
    console.log(`Chromium ${version}, headless (software rendering); screenshots: ${shots.join(', ')}`);
    const file = await writeResult('ui-charts', { chromium: version, quick, rounds, firstPoints, livePoints, batch, first, live, interactions, pass });
    console.log(`written ${file}`);
    return { pass: quick ? null : pass };
  } finally {
    await browser.close();
    server.close();
  }
}

async function checkInteractions(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}?story=light`);
  await page.waitForSelector('body[data-ready] .uplot');
  const over = page.locator('.u-over').first();
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const zoomed = await page.getByRole('button', { name: 'Reset zoom' }).count();
  // hover values while zoomed, for a look
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.waitForTimeout(100);
  await page.locator('figure.chart').first().screenshot({ path: join(OUTPUT_DIR, 'ui-charts-zoomed-hover.png') });
  await over.dblclick();
  const reset = await page.getByRole('button', { name: 'Reset zoom' }).count();
  await page.close();
  const ok = zoomed === 1 && reset === 0;
  if (!ok) console.log(`ui-charts: interaction check failed (reset button after drag: ${zoomed}, after double-click: ${reset})`);
  return { ok, zoomed, reset };
}

async function screenshots(browser, url) {
  const files = [];
  for (const [theme, width, height] of [
    ['light', 1280, 800],
    ['dark', 1920, 1080],
  ]) {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${url}?story=${theme}`);
    await page.waitForSelector('body[data-ready] .uplot');
    await page.waitForTimeout(200);
    const file = join(OUTPUT_DIR, `ui-charts-story-${theme}-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: true });
    files.push(file);
    await page.close();
  }
  return files;
}
