// Serves the Datasets view (main.tsx) over the real core on a temporary data folder with Vite, drives it
// in Chromium with playwright-core and saves screenshots to bench/output/ui/datasets/:
//   node bench/ui/datasets/screenshots.mjs
// It walks the real flow: raw Iris preview and statistics, the Preprocess dialog (with progress, slowed
// down so it can be seen, and the core's error for a clashing name), the prepared set at 1920×1080.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import { BENCH_DIR, OUTPUT_DIR, ROOT, bundle, dataFolder, irisCsv } from '../../lib.mjs';

const out = join(OUTPUT_DIR, 'ui', 'datasets');
await fs.mkdir(out, { recursive: true });
const core = await import(await bundle('ui/datasets/api'));
const data = await dataFolder('ui-datasets', { iris: join(ROOT, 'data', 'datasets', 'external', 'iris.csv'), 'iris-200k': await irisCsv(200_000) });
const ws = core.workspace(data);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function body(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text || '{}');
}

/** The story's stand-in for the IPC handlers the app will have (datasets:list, :page, :stats, :preprocess). */
function api() {
  return {
    name: 'datasets-story-api',
    configureServer(server) {
      server.middlewares.use('/api', async (req, res) => {
        const args = await body(req);
        const send = (value) => res.end(JSON.stringify(value));
        try {
          if (req.url === '/list') return send({ ok: await core.listDatasets(ws) });
          if (req.url === '/page') return send({ ok: await core.readDatasetPage(ws, args.name, args.part, args.offset, args.limit) });
          if (req.url === '/stats') return send({ ok: await core.datasetStats(ws, args.name, args.part, { bins: args.bins }) });
          if (req.url === '/preprocess') {
            const controller = new AbortController();
            res.on('close', () => controller.abort());
            const { request, slow } = args;
            const result = await core.preprocess(ws, {
              dataset: request.source,
              name: request.name ?? 'prepared-dataset',
              split: request.split,
              separateSets: request.separateSets,
              seed: request.seed ?? 42,
              label: request.label,
              force: request.force,
              signal: controller.signal,
              onProgress: (progress) => res.write(`${JSON.stringify({ progress })}\n`),
            }).catch((error) => ({ error }));
            if (slow) await sleep(Number(slow));
            if (result.error) return res.end(`${JSON.stringify({ error: result.error.message })}\n`);
            const dataset = await core.preparedDatasetSummary(ws, result.info.dataset.name);
            return res.end(`${JSON.stringify({ ok: { dataset, unchanged: result.unchanged } })}\n`);
          }
          res.statusCode = 404;
          return send({ error: `no such call ${req.url}` });
        } catch (error) {
          return send({ error: error.message });
        }
      });
    },
  };
}

const server = await createServer({
  configFile: false,
  root: join(BENCH_DIR, 'ui', 'datasets'),
  plugins: [react(), api()],
  server: { port: 0, host: '127.0.0.1', fs: { allow: [ROOT] } },
  logLevel: 'warn',
});
await server.listen();
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
const shots = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  const shot = async (name) => {
    const file = join(out, `${name}.png`);
    await page.screenshot({ path: file });
    shots.push(file);
  };
  await page.goto(`${url}?slow=2500`);
  await page.getByText('Rows 1–25 of 150').waitFor();
  await shot('1-raw-preview-1280');
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByRole('region', { name: 'Class balance' }).waitFor();
  await shot('2-raw-stats-1280');
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByRole('article').getByRole('button', { name: 'Preprocess…' }).click();
  await page.getByLabel('Training fraction', { exact: true }).fill('0.75');
  await shot('3-preprocess-dialog-1280');
  await page.getByRole('button', { name: 'Preprocess', exact: true }).click();
  await page.getByText(/Writing — /).waitFor();
  await shot('4-preprocess-progress-1280');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await page.getByRole('article', { name: 'Dataset prepared-dataset' }).waitFor();
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByRole('region', { name: 'Class balance' }).waitFor();
  await shot('5-prepared-stats-1280');
  // A second split under the same name with other content: the core refuses and says why.
  await page.getByRole('button', { name: 'Preprocess…' }).first().click();
  await page.getByLabel('Seed').fill('7');
  await page.getByRole('button', { name: 'Preprocess', exact: true }).click();
  await page.getByRole('alert').waitFor();
  await shot('6-preprocess-error-1280');
  await page.getByRole('button', { name: 'Close' }).click();
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.getByRole('button', { name: /iris-200k/ }).click();
  await page.getByRole('tab', { name: 'Statistics' }).click();
  await page.getByRole('region', { name: 'Class balance' }).waitFor();
  await shot('7-large-raw-stats-1920');
  await page.getByRole('tab', { name: 'Preview' }).click();
  await page.getByRole('button', { name: 'Last page' }).click();
  await page.getByText('Rows 199,976–200,000 of 200,000').waitFor();
  await shot('8-large-raw-last-page-1920');
} finally {
  await browser.close();
  await server.close();
  await fs.rm(data, { recursive: true, force: true });
}
console.log(shots.join('\n'));
