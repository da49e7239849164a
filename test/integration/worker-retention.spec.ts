/**
 * Retention of a plain queue's ended rows on the real PostgreSQL: a `@Worker`'s `retention`
 * checked at bootstrap (each bad value named, refused for an app's table), and the pruning
 * rounds on the module's clock, once per round across two replicas sharing a coordinator,
 * with nothing added to `registry.list()`.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import {
  RoutinesConfigurationError,
  RoutinesModule,
  RoutinesRegistry,
  Worker,
  type WorkerHandler,
} from '../../lib';
import { InMemoryCoordinator } from '../../lib/cluster/in-memory-coordinator';
import { PostgresWorkerStore } from '../../lib/postgres';
import { ManualClock } from '../../lib/testing';
import { PRUNE_EVERY_MS } from '../../lib/worker/job-pruner';
import { dropSchema, postgresPool, unique, waitFor } from './support';
import { CapturingLogger } from '../e2e/support/e2e';

jest.setTimeout(30_000);

describe('retention of ended jobs', () => {
  let pool: Pool;
  const schema = unique('worker_retention');
  let jobsTable: string;

  beforeAll(async () => {
    pool = postgresPool(10);
    await pool.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });
  beforeEach(() => {
    jobsTable = unique('jobs');
  });

  const loggers: CapturingLogger[] = [];
  const boot = async (providers: unknown[], options: Record<string, unknown> = {}) => {
    @Module({
      imports: [
        RoutinesModule.forRoot({
          shutdownTimeout: '500ms',
          workerStore: new PostgresWorkerStore(pool, { schema, jobsTable }),
          ...options,
        }),
      ],
      providers: providers as never[],
    })
    class AppModule {}
    const logger = new CapturingLogger();
    loggers.push(logger);
    const app = await NestFactory.createApplicationContext(AppModule, {
      logger,
      abortOnError: false,
    });
    await app.init();
    return app;
  };

  it('refuses a bad retention naming each value, and any retention for an app table', async () => {
    @Worker({
      name: 'emails',
      retention: { completed: 'soon', failed: 0, kept: '1d' } as never,
    })
    @Injectable()
    class Emails implements WorkerHandler {
      handle(): void {}
    }
    @Worker({ name: 'uploads', table: `${schema}.uploads`, retention: { completed: '1d' } })
    @Injectable()
    class Uploads implements WorkerHandler {
      handle(): void {}
    }
    @Worker({ name: 'typo', retenion: false } as never)
    @Injectable()
    class Typo implements WorkerHandler {
      handle(): void {}
    }
    const error = (await boot([Emails, Uploads, Typo]).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    const problems = (error as RoutinesConfigurationError).problems.map((p) => [
      p.routine,
      p.option,
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        ['emails', 'retention.completed'],
        ['emails', 'retention.failed'],
        ['emails', 'retention.kept'],
        ['uploads', 'retention'],
        ['typo', 'retenion'],
      ]),
    );
    expect(String(error)).toContain("did you mean 'retention'?");
    expect(String(error)).toContain("'soon'");
    expect(String(error)).toContain('never deletes them');
  });

  it('prunes on the module clock once per round across two replicas, and keeps everything with retention: false', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const coordinator = new InMemoryCoordinator(clock);
    @Worker({ name: 'emails', retention: { completed: '1h', canceled: false } })
    @Injectable()
    class Emails implements WorkerHandler {
      handle(): void {}
    }
    @Worker({ name: 'kept', retention: false })
    @Injectable()
    class Kept implements WorkerHandler {
      handle(): void {}
    }
    const apps = [
      await boot([Emails, Kept], { clock, coordinator }),
      await boot([Emails, Kept], { clock, coordinator }),
    ];
    try {
      const registry = apps[0].get(RoutinesRegistry);
      expect(registry.list().map((routine) => routine.name)).toEqual([
        'emails',
        'emails:reset-stalled',
        'kept',
        'kept:reset-stalled',
      ]);
      const table = `"${schema}"."${jobsTable}"`;
      // 2,500 succeeded 2 hours ago (three batches), a canceled and a failed row of long ago
      await pool.query(
        `INSERT INTO ${table} (queue, state, finished_at) SELECT q, 'completed', now() - interval '2 hours' ` +
          `FROM generate_series(1, 2500), unnest(ARRAY['emails', 'kept']) AS q`,
      );
      await pool.query(
        `INSERT INTO ${table} (queue, state, finished_at) VALUES ('emails', 'canceled', now() - interval '300 days'), ` +
          `('emails', 'failed', now() - interval '1 day'), ('emails', 'completed', now())`,
      );
      await clock.advance(PRUNE_EVERY_MS);
      const left = async (queue: string) =>
        Number(
          (
            await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE queue = $1`, [
              queue,
            ])
          ).rows[0].n,
        );
      await waitFor('emails pruned', async () => (await left('emails')) === 3, 10_000, 25);
      expect(await left('kept')).toBe(2500);
      // One replica won the round and pruned 2,500 rows in three batches; the other skipped it.
      const pruned = () =>
        loggers.flatMap((logger) =>
          logger.entries.map((entry) => String(entry.message)).filter((m) => m.includes('pruned')),
        );
      await waitFor('the pruning logged', async () => pruned().length > 0, 10_000, 25);
      expect(pruned()).toEqual(["worker 'emails': pruned 2500 ended job(s) past their retention"]);
      // A later round finds nothing more to prune.
      await clock.advance(PRUNE_EVERY_MS);
      expect(await left('emails')).toBe(3);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });
});
