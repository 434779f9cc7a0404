import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { expman } from '../helpers/data-dir.js';
import { describeIfAvailable } from '../helpers/needs.js';
import { slurmUnavailable, useSlurm } from '../helpers/slurm.js';
import { shotsDir, uiSuite } from '../helpers/ui-session.js';

/**
 * The launcher starts a run on a Slurm target (a real single-node cluster): the run is a Slurm job, its
 * page shows it live from the run folder the job writes, and the sidebar says where it runs.
 * Screenshot: test-output/e2e/slurm-run-live.png.
 */
describeIfAvailable(slurmUnavailable(), 'the launcher on a Slurm target', () => {
  const slurm = useSlurm();
  // Registered after Slurm's hooks: the UI starts after the cluster and stops before it.
  const ui = uiSuite({
    name: 'slurm',
    env: () => ({ SLURM_CONF: slurm.env['SLURM_CONF'] }),
    prepare: (data) => {
      expect(expman(['preprocess', '--data', data, '--split=0.8', '--separate-sets']).code).toBe(0);
      writeFileSync(join(data, 'targets.toml'), `[cluster]\nexecutor = "slurm"\npartition = "${slurm.partition}"\ntime = "10"\n`);
    },
  });

  test('Where: cluster starts a Slurm job; the run page shows it live; the sidebar says cluster', async () => {
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(ui.url);
    await page.goto(`${new URL(ui.url).origin}/#/experiments/default`);
    await page.getByLabel('Where the run executes').selectOption('cluster');
    await page.getByLabel('Overrides').fill('training.epochs=600\ntraining.early_stopping.enabled=false\ntraining.backend=cpu\nlogging.batch_interval_ms=0');
    await page.getByLabel('Run name').fill('on-cluster');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/default\/on-cluster$/);
    const charts = page.getByTestId('run-charts');
    await expect.poll(() => charts.count(), { timeout: 30_000 }).toBe(1);
    const epochs = async (): Promise<number> => Number((await charts.getAttribute('data-epochs')) ?? 0);
    // Early stopping is off: seeded Iris stops early at the same epoch every time, which a fast step can
    // reach before the page first shows the run, and no further epoch would ever come.
    const early = await epochs();
    await expect.poll(epochs, { timeout: 30_000 }).toBeGreaterThan(early);
    await expect.poll(() => page.locator('[data-run="default/on-cluster"] .where').textContent(), { timeout: 10_000 }).toBe('cluster');
    await expect.poll(() => page.getByTestId('run-live').textContent(), { timeout: 10_000 }).toMatch(/^Slurm job \d+, running here \(pid \d+\)$/);
    await page.screenshot({ path: join(shotsDir, 'slurm-run-live.png') });
    await expect.poll(() => page.locator('.view-head .badge').getAttribute('data-status'), { timeout: 60_000 }).toBe('finished');
    const record = JSON.parse(readFileSync(join(ui.data, 'experiments', 'default', 'models', 'on-cluster', 'executor.json'), 'utf8')) as { executor: string; job_id: string; node: string };
    expect(record).toMatchObject({ executor: 'slurm', job_id: expect.stringMatching(/^\d+$/), node: slurm.node });
    expect(readFileSync(join(ui.data, 'experiments', 'default', 'models', 'on-cluster', 'config.toml'), 'utf8')).toMatch(/executor = "slurm"\ntarget = "cluster"/);
  }, 120_000);
});
