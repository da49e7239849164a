/// <reference lib="dom" />
/**
 * The console's jobs panel on the real PostgreSQL (127.0.0.1:5432, db `test`): a `@Worker` on a
 * plain queue of the library's `routines_jobs` table, in a schema of its own, with jobs that
 * fail for good; the page lists them by state and retries them.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import {
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import { chromium, type Browser } from 'playwright-core';
import { RoutinesModule, RoutinesRegistry, Worker, type WorkerHandler } from '../../lib';
import { RoutinesDashboardModule } from '../../lib/dashboard';
import { PostgresWorkerStore } from '../../lib/postgres';
import { dropSchema, postgresPool, unique } from '../integration/support';

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const QUEUE = unique('console_emails');

@Worker({ name: QUEUE, concurrency: 2, pollInterval: '50ms', maxAttempts: 1 })
@Injectable()
class EmailSender implements WorkerHandler<{ to: string }> {
  /** Bounces fail on their first attempt only: a retried one goes through. */
  readonly tries = new Map<string, number>();
  handle(email: { to: string }): void {
    const tries = (this.tries.get(email.to) ?? 0) + 1;
    this.tries.set(email.to, tries);
    if (email.to.startsWith('bounce') && tries === 1)
      throw new Error(`${email.to}: mailbox <full>`);
  }
}

@Injectable()
class AllowAll implements CanActivate {
  canActivate(_context: ExecutionContext): boolean {
    return true;
  }
}

describe('the jobs panel on PostgreSQL', () => {
  let pool: Pool;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  const schema = unique('console_jobs');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}`);
    pool = postgresPool(5);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    @Module({
      imports: [
        RoutinesModule.forRoot({ workerStore: new PostgresWorkerStore(pool, { schema }) }),
        RoutinesDashboardModule.forRoot({ control: true, guards: [AllowAll], refresh: '1s' }),
      ],
      providers: [EmailSender],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/routines`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await dropSchema(pool, schema);
    await pool?.end();
  });

  const states = async () =>
    (
      await pool.query<{ state: string; n: string }>(
        `SELECT state, count(*) AS n FROM "${schema}".routines_jobs WHERE queue = $1 GROUP BY state`,
        [QUEUE],
      )
    ).rows.reduce<Record<string, number>>(
      (all, row) => ({ ...all, [row.state]: Number(row.n) }),
      {},
    );

  it('lists failed jobs, searches them, and retries the ones found, with a confirmation', async () => {
    const worker = app.get(RoutinesRegistry).worker(QUEUE);
    for (const to of ['bounce-1@example.com', 'bounce-2@example.com', 'ok@example.com'])
      await worker.enqueue({ to });
    for (let waited = 0; (await states()).failed !== 2; waited += 100) {
      if (waited > 15_000) throw new Error(`jobs did not fail: ${JSON.stringify(await states())}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/routines/${QUEUE}`);
    const panel = page.locator('#jobs');
    await panel
      .locator('.tabs')
      .getByRole('button', { name: /^failed/ })
      .click();
    await expect(panel.locator('tbody tr').count()).resolves.toBe(2);
    await expect(panel.locator('td.error').first().textContent()).resolves.toContain(
      'mailbox <full>',
    );
    await page.locator('#job-search').fill('to=bounce-1@example.com');
    await panel.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    await panel.getByRole('button', { name: 'Retry', exact: true }).click();
    await page.locator('dialog#confirm').getByRole('button', { name: 'Retry' }).click();
    await page.locator('#status').getByText('Retry: 1 job(s).').waitFor();
    for (let waited = 0; (await states()).completed !== 2; waited += 100) {
      if (waited > 15_000) throw new Error(`not retried: ${JSON.stringify(await states())}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await states()).toEqual({ completed: 2, failed: 1 });
    expect(app.get(EmailSender).tries.get('bounce-1@example.com')).toBe(2);
    expect(app.get(EmailSender).tries.get('bounce-2@example.com')).toBe(1);
    await page.context().close();
  });
});
