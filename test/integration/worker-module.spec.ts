/**
 * `@Worker` in a Nest app on the real PostgreSQL: rows processed, the worker and its
 * cluster resetter listed, counts by state, bad tables and a missing store refused at
 * bootstrap, and rows handed back when the app closes mid-job.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import {
  PostgresWorkerStore,
  RoutinesConfigurationError,
  RoutinesModule,
  RoutinesRegistry,
  Worker,
  workerTableSql,
  type JobContext,
  type WorkerHandler,
} from '../../lib';
import { dropSchema, postgresPool, sleep, unique } from './support';
import { CapturingLogger } from '../e2e/support/e2e';

jest.setTimeout(30_000);

describe('@Worker in a Nest app on PostgreSQL', () => {
  let pool: Pool;
  const schema = unique('worker_module');
  const table = `${schema}.uploads`;

  beforeAll(async () => {
    pool = postgresPool(10);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, path text NOT NULL)`);
    await pool.query(workerTableSql(table));
    await pool.query(`CREATE TABLE ${schema}.bare (id bigserial PRIMARY KEY, state int)`);
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });
  beforeEach(() => pool.query(`TRUNCATE ${table}`));

  const handled: string[] = [];
  let hold = false;

  @Worker({
    name: 'upload-processor',
    table,
    concurrency: 3,
    pollInterval: '50ms',
    heartbeat: '100ms',
    stalledAfter: '2s',
  })
  @Injectable()
  class UploadProcessor implements WorkerHandler<{ id: string; path: string }> {
    async handle(upload: { id: string; path: string }, job: JobContext): Promise<void> {
      if (hold) await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      handled.push(upload.path);
    }
  }

  const boot = async (
    providers: unknown[],
    options: Record<string, unknown> = { workerStore: new PostgresWorkerStore(pool) },
  ) => {
    @Module({
      imports: [RoutinesModule.forRoot({ shutdownTimeout: '500ms', ...options })],
      providers: providers as never[],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, {
      logger: new CapturingLogger(),
      abortOnError: false,
    });
    await app.init();
    return app;
  };

  it('processes the rows, lists the worker and its cluster resetter, and counts rows by state', async () => {
    handled.length = 0;
    hold = false;
    await pool.query(
      `INSERT INTO ${table} (path) SELECT 'u' || i FROM generate_series(1, 50) AS i`,
    );
    const app = await boot([UploadProcessor]);
    try {
      const registry = app.get(RoutinesRegistry);
      const worker = registry.worker('upload-processor');
      const deadline = Date.now() + 10_000;
      while ((await worker.counts()).byState.completed !== 50) {
        if (Date.now() > deadline) throw new Error(JSON.stringify(await worker.counts()));
        await sleep(25);
      }
      expect(handled.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `u${i + 1}`).sort());
      expect(registry.list().map((routine) => [routine.name, routine.kind, routine.scope])).toEqual(
        [
          ['upload-processor', 'background', 'instance'],
          ['upload-processor:reset-stalled', 'periodic', 'cluster'],
        ],
      );
      await pool.query(`INSERT INTO ${table} (path) VALUES ('late')`);
      worker.notify();
      while (!handled.includes('late')) await sleep(5);
      expect(() => registry.worker('nope')).toThrow("'nope'");
    } finally {
      await app.close();
    }
  });

  it('hands a running row back to queued when the app closes, with no failure counted', async () => {
    hold = true;
    await pool.query(`INSERT INTO ${table} (path) VALUES ('long')`);
    const app = await boot([UploadProcessor]);
    while ((await pool.query(`SELECT state FROM ${table}`)).rows[0].state !== 'processing')
      await sleep(10);
    await app.close();
    expect((await pool.query(`SELECT state, num_failures FROM ${table}`)).rows[0]).toEqual({
      state: 'queued',
      num_failures: 0,
    });
    hold = false;
  });

  it('refuses at bootstrap a table without the columns, a missing store and bad options, naming each', async () => {
    @Worker({
      name: 'bare-worker',
      table: `${schema}.bare`,
      stalledAfter: '1s',
      heartbeat: '5s',
      concurrency: 0,
    })
    @Injectable()
    class BareWorker {
      handle(): void {}
    }
    const error = (await boot([BareWorker]).catch((e: unknown) => e)) as RoutinesConfigurationError;
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    const problems = error.problems.map((problem) => `${problem.source} ${problem.option}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'BareWorker concurrency',
        'BareWorker stalledAfter',
        'BareWorker columns.lastHeartbeatAt',
      ]),
    );
    expect(error.message).toContain('is integer');
    const noStore = (await boot([UploadProcessor], {}).catch(
      (e: unknown) => e,
    )) as RoutinesConfigurationError;
    expect(noStore.problems).toEqual([
      expect.objectContaining({ source: 'UploadProcessor', option: 'workerStore' }),
    ]);
  });
});
