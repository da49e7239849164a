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
  RoutinesConfigurationError,
  RoutinesModule,
  RoutinesRegistry,
  Worker,
  type JobContext,
  type WorkerHandler,
} from '../../lib';
import { PostgresWorkerStore, workerTableSql } from '../../lib/postgres';
import { ManualClock } from '../../lib/testing';
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
      // Stopped and started again, it gets a new worker that runs.
      await registry.restart('upload-processor');
      await pool.query(`INSERT INTO ${table} (path) VALUES ('after-restart')`);
      registry.worker('upload-processor').notify();
      while (!handled.includes('after-restart')) await sleep(5);
      expect(() => registry.worker('nope')).toThrow("'nope'");
      await expect(worker.enqueue({ path: 'x' })).rejects.toThrow('insert rows into it');
    } finally {
      await app.close();
    }
  });

  it("runs its workers on the module's clock: their job events carry its time", async () => {
    handled.length = 0;
    hold = false;
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const app = await boot([UploadProcessor], {
      workerStore: new PostgresWorkerStore(pool),
      clock,
    });
    try {
      const registry = app.get(RoutinesRegistry);
      const events: Array<{ type: string; at: number }> = [];
      const subscription = registry.events$.subscribe((event) => {
        if (event.type.startsWith('job-')) events.push({ type: event.type, at: event.at });
      });
      await pool.query(`INSERT INTO ${table} (path) VALUES ('on-the-clock')`);
      registry.worker('upload-processor').notify();
      const deadline = Date.now() + 10_000;
      while (!events.some((event) => event.type === 'job-succeeded')) {
        if (Date.now() > deadline) throw new Error(JSON.stringify(events));
        await sleep(10);
      }
      subscription.unsubscribe();
      expect(handled).toEqual(['on-the-clock']);
      expect(events).toEqual([
        { type: 'job-started', at: clock.wallNow() },
        { type: 'job-succeeded', at: clock.wallNow() },
      ]);
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

  it('runs a plain queue: enqueue with dedupe and priority, inside a transaction, announced to the worker at once', async () => {
    const store = new PostgresWorkerStore(pool, { schema });
    const seen: Array<{ to: string }> = [];
    @Worker({ name: 'emails', pollInterval: '1m', heartbeat: '100ms', stalledAfter: '2s' })
    @Injectable()
    class EmailSender implements WorkerHandler<{ to: string }> {
      handle(payload: { to: string }): void {
        seen.push(payload);
      }
    }
    const app = await boot([EmailSender], { workerStore: store });
    try {
      const emails = app.get(RoutinesRegistry).worker('emails');
      await sleep(100); // the first look found nothing; the next poll is a minute away
      const first = await emails.enqueue({ to: 'a' }, { key: 'welcome:a' });
      expect(first).toEqual(expect.any(String));
      while (seen.length < 1) await sleep(5);
      // From another process's point of view: a second store, no local notify, only LISTEN.
      const elsewhere = new PostgresWorkerStore(pool, { schema });
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await elsewhere.enqueue('emails', { to: 'rolled-back' }, { client });
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        await elsewhere.enqueue('emails', { to: 'b' }, { client, key: 'k' });
        expect(
          await elsewhere.enqueue('emails', { to: 'b-again' }, { client, key: 'k' }),
        ).toBeUndefined();
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const committedAt = Date.now();
      while (seen.length < 2) {
        if (Date.now() - committedAt > 15_000) throw new Error('not announced');
        await sleep(2);
      }
      // Announced, not polled (pollInterval 1m): 500 ms on a quiet machine, 10 s on a busy one.
      expect(Date.now() - committedAt).toBeLessThan(10_000);
      expect(seen.map((payload) => payload.to)).toEqual(['a', 'b']);
      // The handler has run; its completion is written right after (batched with others).
      while ((await emails.counts()).byState.completed !== 2) await sleep(5);
      expect(await emails.counts()).toEqual({ byState: { completed: 2 } });
      expect(() => app.get(RoutinesRegistry).worker('upload-processor')).toThrow(
        "'upload-processor'",
      );
    } finally {
      await app.close();
    }
  });

  it("picks up a row inserted into the app's table at once, through the table's trigger", async () => {
    handled.length = 0;
    hold = false;
    @Worker({
      name: 'slow-poller',
      table,
      pollInterval: '1m',
      heartbeat: '100ms',
      stalledAfter: '2s',
    })
    @Injectable()
    class SlowPoller {
      handle(upload: { path: string }): void {
        handled.push(upload.path);
      }
    }
    const app = await boot([SlowPoller]);
    try {
      await sleep(100);
      const insertedAt = Date.now();
      await pool.query(`INSERT INTO ${table} (path) VALUES ('announced')`);
      while (!handled.includes('announced')) {
        if (Date.now() - insertedAt > 15_000) throw new Error('not announced');
        await sleep(2);
      }
      // Announced, not polled (pollInterval 1m): 500 ms on a quiet machine, 10 s on a busy one.
      expect(Date.now() - insertedAt).toBeLessThan(10_000);
    } finally {
      await app.close();
    }
  });

  it('tells events$ of each job: started, retried, started again, succeeded; and of a reset', async () => {
    let fail = true;
    @Worker({
      name: 'flaky',
      table,
      pollInterval: '20ms',
      heartbeat: '100ms',
      stalledAfter: '1s',
      backoff: { initialDelay: 1, maxDelay: 1 },
    })
    @Injectable()
    class Flaky {
      handle(): void {
        if (fail) {
          fail = false;
          throw new Error('first time');
        }
      }
    }
    const { rows } = await pool.query(
      `INSERT INTO ${table} (path) VALUES ('flaky') RETURNING id::text AS id`,
    );
    // A row a dead process left processing: the cluster resetter hands it on.
    await pool.query(
      `INSERT INTO ${table} (path, state, worker_hostname, last_heartbeat_at) VALUES ('orphan', 'processing', 'dead:1:x', now() - interval '1 hour')`,
    );
    const app = await boot([Flaky]);
    const events: Array<{ type: string; id?: string; attempt?: number; count?: number }> = [];
    const subscription = app.get(RoutinesRegistry).events$.subscribe((event) => {
      if (event.type.startsWith('job-')) events.push({ type: event.type, ...event.job });
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!(
        events.some((e) => e.type === 'job-reset') &&
        events.filter((e) => e.type === 'job-succeeded').length === 2
      )) {
        if (Date.now() > deadline) throw new Error(JSON.stringify(events));
        await sleep(20);
      }
      const flaky = events
        .filter((event) => event.id === rows[0].id)
        .map((event) => `${event.type}#${event.attempt}`);
      expect(flaky).toEqual(['job-started#1', 'job-retried#1', 'job-started#2', 'job-succeeded#2']);
      expect(events.find((event) => event.type === 'job-reset')).toEqual({
        type: 'job-reset',
        count: 1,
      });
    } finally {
      subscription.unsubscribe();
      await app.close();
    }
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
