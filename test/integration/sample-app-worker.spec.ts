/**
 * The sample app with DATABASE_URL: its thumbnail worker processes rows of the app's own table,
 * and a row it can never render fails at once.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DATABASE_URL, postgresPool, sleep } from './support';
import { CapturingLogger } from '../e2e/support/e2e';

jest.setTimeout(30_000);

describe('sample app: the thumbnail worker on PostgreSQL', () => {
  let app: INestApplication;
  let url: string;
  const saved = { REDIS_URL: process.env.REDIS_URL, DATABASE_URL: process.env.DATABASE_URL };

  beforeAll(async () => {
    delete process.env.REDIS_URL;
    process.env.DATABASE_URL = DATABASE_URL;
    const { AppModule } = await import('../../sample-app/app.module');
    app = await NestFactory.create(AppModule, { logger: new CapturingLogger() });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    const pool = postgresPool(1);
    await pool.query('TRUNCATE sample_app_processed_uploads');
    await pool.end();
  });

  afterAll(async () => {
    await app?.close();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('renders a thumbnail per inserted row, and fails a row it can never render', async () => {
    for (const path of ['cat.png', 'dog.jpg', 'README']) {
      const response = await fetch(`${url}/processing/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path }),
      });
      expect(response.status).toBe(201);
    }
    const deadline = Date.now() + 10_000;
    let counts: { byState: Record<string, number> } = { byState: {} };
    while (Date.now() < deadline) {
      counts = (await (await fetch(`${url}/processing/uploads`)).json()) as typeof counts;
      if (counts.byState.completed === 2 && counts.byState.failed === 1) break;
      await sleep(50);
    }
    expect(counts.byState).toEqual({ completed: 2, failed: 1 });
    const jobs = (await (await fetch(`${url}/processing/jobs`)).json()) as {
      stats: { jobs: number; outcomes: Record<string, number> };
      recent: Array<{ outcome: string; error?: { name: string; message: string } }>;
    };
    expect(jobs.stats.jobs).toBe(3);
    expect(jobs.stats.outcomes).toMatchObject({ succeeded: 2, failed: 1 });
    expect(jobs.recent.find((job) => job.outcome === 'failed')!.error!.name).toBe(
      'NonRetryableError',
    );
  });
});
