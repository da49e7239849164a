/**
 * A worker's jobs seen in production, on the real PostgreSQL: the job history and stats in the
 * registry, the Prometheus metrics (job outcomes, durations, rows by state, oldest due), one
 * span per job, and the dashboard's JSON and page. Each outcome is produced for real: a job
 * that succeeds, one retried then failing for good, one `NonRetryableError`, one past its
 * timeout, one cancelled through its column, one handed back on shutdown.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import request from 'supertest';
import {
  NonRetryableError,
  RoutinesModule,
  RoutinesRegistry,
  Worker,
  type JobContext,
  type WorkerHandler,
} from '../../lib';
import { RoutinesDashboardModule } from '../../lib/dashboard';
import type { JobRecord } from '../../lib/observability';
import { PostgresWorkerStore, workerTableSql } from '../../lib/postgres';
import { CapturingLogger } from '../e2e/support/e2e';
import { dropSchema, postgresPool, sleep, unique, waitFor } from './support';

jest.setTimeout(30_000);

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

describe("a worker's jobs in the history, metrics, traces and dashboard", () => {
  let pool: Pool;
  const schema = unique('worker_obs');
  const table = `${schema}.uploads`;
  let app: INestApplication | undefined;
  let metrics: Registry;

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager);
    trace.setGlobalTracerProvider(provider);
    pool = postgresPool(10);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, path text NOT NULL)`);
    await pool.query(workerTableSql(table));
  });
  afterAll(async () => {
    await app?.close();
    await dropSchema(pool, schema);
    await pool.end();
    trace.disable();
    context.disable();
  });

  @Worker({
    name: 'renderer',
    table,
    concurrency: 4,
    pollInterval: '50ms',
    heartbeat: '100ms',
    stalledAfter: '5s',
    maxAttempts: 2,
    timeout: '1s',
    backoff: { initialDelay: '50ms', maxDelay: '50ms' },
  })
  @Injectable()
  class Renderer implements WorkerHandler<{ id: string; path: string }> {
    private readonly tracer = trace.getTracer('app');

    async handle(upload: { path: string }, job: JobContext): Promise<void> {
      // The app's own span inside the job: it must be the job span's child.
      await this.tracer.startActiveSpan('render', async (span) => {
        span.end();
      });
      switch (upload.path) {
        case 'flaky':
          throw new Error(`render failed on attempt ${job.attempt}`);
        case 'broken':
          throw new NonRetryableError('not an image');
        case 'slow':
          await sleep(1300); // past the 1 s timeout, and ignores the signal
          return;
        case 'wait':
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
          return;
        default:
          await sleep(5);
      }
    }
  }

  const boot = async () => {
    metrics = new Registry();
    @Module({
      imports: [
        RoutinesModule.forRoot({
          shutdownTimeout: '500ms',
          workerStore: new PostgresWorkerStore(pool),
          metrics: { registry: metrics },
          tracing: true,
        }),
        RoutinesDashboardModule.forRoot({ path: '/ops' }),
      ],
      providers: [Renderer],
    })
    class AppModule {}
    const created = await NestFactory.create(AppModule, {
      logger: new CapturingLogger(),
      abortOnError: false,
    });
    await created.init();
    return created;
  };

  const outcomesById = async (): Promise<Map<string, string[]>> => {
    const ids = await pool.query<{ id: string; path: string }>(`SELECT id, path FROM ${table}`);
    const byPath = new Map(ids.rows.map((row) => [String(row.id), row.path]));
    const history: JobRecord[] = app!.get(RoutinesRegistry).worker('renderer').history();
    const outcomes = new Map<string, string[]>();
    for (const record of [...history].reverse()) {
      const path = byPath.get(record.id)!;
      outcomes.set(path, [...(outcomes.get(path) ?? []), `${record.attempt}:${record.outcome}`]);
    }
    return outcomes;
  };

  it('records every outcome, counts it in the metrics, traces it, and shows it on the dashboard', async () => {
    await pool.query(
      `INSERT INTO ${table} (path) VALUES ('a.png'), ('b.png'), ('c.png'), ('flaky'), ('broken'), ('slow'), ('wait')`,
    );
    app = await boot();
    const registry = app.get(RoutinesRegistry);
    const worker = registry.worker('renderer');
    // The 'wait' job itself in flight, not just any job: a row asked to cancel before a worker
    // claims it is never claimed, and stays queued (on a busy machine 'wait' could still be).
    await waitFor(
      'the waiting job to run',
      async () => {
        const { rows } = await pool.query<{ state: string }>(
          `SELECT state FROM ${table} WHERE path = 'wait'`,
        );
        return rows[0]?.state === 'processing' && worker.history().length >= 5;
      },
      10_000,
    );
    await pool.query(`UPDATE ${table} SET cancel = true WHERE path = 'wait'`);
    await waitFor(
      'every job to end',
      async () => {
        const { byState } = await worker.counts();
        return byState.completed === 3 && byState.failed === 3 && byState.canceled === 1;
      },
      10_000,
    );

    const outcomes = await outcomesById();
    expect(Object.fromEntries(outcomes)).toEqual({
      'a.png': ['1:succeeded'],
      'b.png': ['1:succeeded'],
      'c.png': ['1:succeeded'],
      flaky: ['1:retried', '2:failed'],
      broken: ['1:failed'],
      slow: ['1:retried', '2:failed'],
      wait: ['1:cancelled'],
    });
    const history = worker.history();
    expect(history).toHaveLength(9);
    expect(history.every((job) => job.startedAt > Date.now() - 60_000)).toBe(true);
    const slow = history.filter((job) => job.error?.message === 'timed out after 1000 ms');
    expect(slow).toHaveLength(2);
    // Until its row was written, at the timeout: a handler that ignores its signal keeps no row.
    expect(slow.every((job) => job.durationMs >= 950 && job.durationMs < 1300)).toBe(true);
    expect(history.find((job) => job.outcome === 'cancelled')!.error!.message).toBe(
      'canceled by an operator',
    );
    expect(history.find((job) => job.error?.name === 'NonRetryableError')!.error!.message).toBe(
      'not an image',
    );
    expect(worker.history({ limit: 2 })).toEqual(history.slice(0, 2));
    const stats = worker.stats();
    expect(stats.jobs).toBe(9);
    expect(stats.outcomes).toEqual({
      succeeded: 3,
      retried: 2,
      failed: 3,
      cancelled: 1,
      requeued: 0,
      lost: 0,
    });
    expect(stats.durationMs!.max).toBeGreaterThanOrEqual(950); // the 'slow' ones, written at their 1 s timeout;

    // The second 'slow' handler, which ignores its signal, runs on 0.3 s past its row's timeout
    // write, counted in flight until it settles.
    await waitFor('the slow handler to settle', () => worker.inFlight === 0, 5000);
    const text = await metrics.metrics();
    const sample = (name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('routines_jobs_total', 'worker="renderer",outcome="succeeded"')).toBe(3);
    expect(sample('routines_jobs_total', 'worker="renderer",outcome="retried"')).toBe(2);
    expect(sample('routines_jobs_total', 'worker="renderer",outcome="failed"')).toBe(3);
    expect(sample('routines_jobs_total', 'worker="renderer",outcome="cancelled"')).toBe(1);
    expect(
      sample('routines_job_duration_seconds_count', 'worker="renderer",outcome="failed"'),
    ).toBe(3);
    expect(
      sample('routines_job_duration_seconds_bucket', 'le="0.5",worker="renderer",outcome="failed"'),
    ).toBe(2); // 'broken' and the second 'flaky' failed at once; the second 'slow' was written at its 1 s timeout
    expect(sample('routines_worker_rows', 'worker="renderer",state="completed"')).toBe(3);
    expect(sample('routines_worker_rows', 'worker="renderer",state="canceled"')).toBe(1);
    expect(sample('routines_worker_oldest_queued_seconds', 'worker="renderer"')).toBe(0);
    expect(sample('routines_jobs_in_flight', 'worker="renderer"')).toBe(0);

    const spans = exporter.getFinishedSpans();
    const jobSpans = spans.filter((span) => span.name === 'worker renderer');
    expect(jobSpans).toHaveLength(9);
    expect(new Set(jobSpans.map((span) => span.attributes['worker.outcome']))).toEqual(
      new Set(['succeeded', 'failed', 'cancelled']),
    );
    const failedSpan = jobSpans.find(
      (span) =>
        span.attributes['worker.job_id'] ===
        history.find((j) => j.error?.name === 'NonRetryableError')!.id,
    )!;
    expect(failedSpan.status.code).toBe(2); // ERROR
    expect(failedSpan.events.map((event) => event.name)).toEqual(['exception']);
    const render = spans.filter((span) => span.name === 'render');
    expect(render).toHaveLength(9);
    const jobSpanIds = new Set(jobSpans.map((span) => span.spanContext().spanId));
    expect(render.every((span) => jobSpanIds.has(span.parentSpanContext?.spanId ?? ''))).toBe(true);

    const http = request(app.getHttpServer());
    const listed = await http.get('/ops/api/routines').expect(200);
    const routine = listed.body.routines.find((r: { name: string }) => r.name === 'renderer');
    expect(routine.worker).toMatchObject({
      inFlight: 0,
      rows: { completed: 3, failed: 3, canceled: 1 },
      stats: { jobs: 9 },
    });
    expect(routine.worker.recentErrors).toHaveLength(3);
    const detail = await http.get('/ops/api/routines/renderer?limit=4').expect(200);
    // The dashboard's JSON gives epoch times in whole milliseconds (stable ETags).
    const wholeMs = history
      .slice(0, 4)
      .map((job) => ({ ...job, startedAt: Math.round(job.startedAt) }));
    expect(detail.body.jobs).toEqual(wholeMs);
    const page = await http.get('/ops').expect(200);
    expect(page.text).toContain('3 completed');
    expect(page.text).toMatch(/last 9: 3 succeeded · <span class="bad">2 retried<\/span>/);
    for (const job of routine.worker.recentErrors) expect(page.text).toContain(job.error.message);
    const resetter = listed.body.routines.find(
      (r: { name: string }) => r.name === 'renderer:reset-stalled',
    );
    expect(resetter.worker).toBeUndefined();
  });

  it('leaves the row counts out, and says why, while the table is locked; a job handed back on shutdown is requeued', async () => {
    await app?.close();
    await pool.query(`TRUNCATE ${table}`);
    await pool.query(`INSERT INTO ${table} (path, state) VALUES ('done', 'completed')`);
    app = await boot();
    const worker = app.get(RoutinesRegistry).worker('renderer');

    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const asked = Date.now();
      const listed = await request(app.getHttpServer()).get('/ops/api/routines').expect(200);
      const took = Date.now() - asked;
      const routine = listed.body.routines.find((r: { name: string }) => r.name === 'renderer');
      expect(routine.worker.rows).toBeUndefined();
      expect(routine.worker.rowsProblem).toBe('the database did not answer within 1500 ms');
      // The 1.5 s deadline, not the lock (held until the test lets go): 4 s held on a quiet
      // machine, 10 s on a busy one.
      expect(took).toBeLessThan(10_000);
      const page = await request(app.getHttpServer()).get('/ops').expect(200);
      expect(page.text).toContain('the database did not answer within 1500 ms');
      const text = await metrics.metrics(); // a scrape gives up on the counts after 2 s
      expect(text).toMatch(/^routines_jobs_in_flight\{worker="renderer"\} 0$/m);
      expect(text).not.toMatch(/^routines_worker_rows\{/m);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    const text = await metrics.metrics();
    expect(text).toMatch(/^routines_worker_rows\{worker="renderer",state="completed"\} 1$/m);

    await pool.query(`INSERT INTO ${table} (path) VALUES ('wait')`);
    worker.notify();
    await waitFor('the job to run', () => worker.inFlight === 1, 10_000);
    await app.close(); // 400 ms of grace, well before the job's 1 s timeout
    app = undefined;
    expect(worker.history().map((job) => job.outcome)).toEqual(['requeued']);
    expect(worker.history()[0].error).toEqual({
      name: 'JobRequeued',
      message: 'handed back on shutdown',
    });
    const row = await pool.query(`SELECT state, num_failures FROM ${table} WHERE path = 'wait'`);
    expect(row.rows).toEqual([{ state: 'queued', num_failures: 0 }]);
  });
});
