/**
 * A worker's jobs through the dashboard's routes, on the real PostgreSQL: the page of rows in
 * the exact JSON the console reads, a cursor to the next page, 400 for a bad query, and each
 * action answering `{ count }` and logged with the worker, the count and the filter.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Pool } from 'pg';
import request from 'supertest';
import { RoutinesModule, RoutinesRegistry, Worker, type WorkerHandler } from '../../lib';
import { RoutinesDashboardModule } from '../../lib/dashboard';
import { PostgresWorkerStore } from '../../lib/postgres';
import { dropSchema, postgresPool, unique } from './support';
import { CapturingLogger } from '../e2e/support/e2e';

jest.setTimeout(30_000);

describe("a worker's jobs through the dashboard", () => {
  let pool: Pool;
  const schema = unique('dashboard_jobs');
  const jobsTable = unique('jobs');
  let app: INestApplication;
  const logger = new CapturingLogger();

  @Worker({ name: 'emails', maxAttempts: 3, enabled: false })
  @Injectable()
  class Emails implements WorkerHandler {
    handle(): void {}
  }

  beforeAll(async () => {
    pool = postgresPool(10);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    @Module({
      imports: [
        RoutinesModule.forRoot({
          workerStore: new PostgresWorkerStore(pool, { schema, jobsTable }),
          shutdownTimeout: '500ms',
        }),
        RoutinesDashboardModule.forRoot({ control: true, allowUnguardedControl: true }),
      ],
      providers: [Emails],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger, abortOnError: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('lists pages in the console JSON shape and acts on rows, logging each action', async () => {
    const worker = app.get(RoutinesRegistry).worker('emails');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await worker.enqueue({ i }, { key: `k${i}` }))!);
    await pool.query(
      `UPDATE "${schema}"."${jobsTable}" SET state = 'failed', num_failures = 3, failure_message = 'boom', finished_at = now() WHERE id = $1`,
      [ids[0]],
    );
    const http = () => request(app.getHttpServer());
    const first = await http().get('/routines/api/workers/emails/jobs?limit=2').expect(200);
    expect(first.body.jobs.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.jobs[0]).toEqual({
      id: ids[2],
      state: 'queued',
      attempts: 0,
      maxAttempts: 3,
      queuedAt: expect.any(Number),
      key: 'k2',
      payload: { i: 2 },
      cancel: false,
    });
    const second = await http()
      .get(`/routines/api/workers/emails/jobs?limit=2&before=${first.body.next}`)
      .expect(200);
    expect(second.body).toEqual({
      jobs: [
        expect.objectContaining({
          id: ids[0],
          state: 'failed',
          attempts: 3,
          error: 'boom',
          finishedAt: expect.any(Number),
        }),
      ],
    });
    const failed = await http().get('/routines/api/workers/emails/jobs?state=failed,errored');
    expect(failed.body.jobs).toHaveLength(1);
    const bad = await http().get('/routines/api/workers/emails/jobs?state=done').expect(400);
    expect(bad.body.message).toContain('option \'state\' = "done" is not a job state');
    await http().get('/routines/api/workers/emails/jobs?limit=ten').expect(400);

    const post = (action: string, body: object) =>
      http().post(`/routines/api/workers/emails/jobs/${action}`).send(body).expect(200);
    expect((await post('retry', { state: 'failed' })).body).toEqual({ count: 1 });
    expect((await post('cancel', { ids: [ids[1]] })).body).toEqual({ count: 1 });
    expect((await post('discard', { state: 'queued', q: 'k2' })).body).toEqual({ count: 1 });
    const empty = await http().post('/routines/api/workers/emails/jobs/retry').send({}).expect(400);
    expect(empty.body.message).toContain('never means "every row"');
    const states = (
      await pool.query<{ id: string; state: string }>(
        `SELECT id::text AS id, state FROM "${schema}"."${jobsTable}" ORDER BY id`,
      )
    ).rows.map((row) => row.state);
    expect(states).toEqual(['queued', 'canceled', 'failed']);
    const logged = logger.entries.map((entry) => String(entry.message));
    expect(logged).toEqual(
      expect.arrayContaining([
        `retry jobs 'emails' (every replica) by an unknown operator: ok [1 job(s), {"state":["failed"]}]`,
        `cancel jobs 'emails' (every replica) by an unknown operator: ok [1 job(s), {"ids":["${ids[1]}"]}]`,
        `discard jobs 'emails' (every replica) by an unknown operator: ok [1 job(s), {"state":["queued"],"search":"k2"}]`,
      ]),
    );
  });
});
