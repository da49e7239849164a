/**
 * P8/P9: the DB-backed worker against graphile-worker 0.17 and pg-boss 10.4 (the last pg-boss
 * that runs on Node 20: 11 needs Node 22, 12 needs 22.12), on the same PostgreSQL, one process,
 * a no-op handler, no batching. pg-boss gets `concurrency` workers of `batchSize` (1: no
 * batching), polling at its minimum (0.5 s); it has no LISTEN, and its loop waits out the
 * polling interval after every fetch, so its throughput is measured over a fixed window
 * (`windowMs`) instead of until every job is done. For latency it fetches 10 at a time, or at
 * 2 jobs/s per worker it could not keep up with 50 jobs/s and would measure its backlog.
 *
 * - `throughput`: `jobs` jobs queued up front, then the worker started with `concurrency`;
 *   jobs per second from its start to the last job's end.
 * - `latency`: one job enqueued every 1000/`rate` ms for `jobs` jobs (each its own committed
 *   INSERT), from the enqueue's return (committed) to the handler's start; p50 and p99.
 */
import { Pool } from 'pg';
import { run, runMigrations } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { DbWorker, PostgresWorkerStore } from '../../lib/worker';
import { JobHistory } from '../../lib/observability/job-history';
import { main, scenarioParams, sleep } from '../harness';

export interface P8Params {
  variant: 'ours' | 'graphile' | 'pgboss' | 'pgbossBatch';
  mode: 'throughput' | 'latency';
  jobs: number;
  concurrency: number;
  rate: number;
  /** pg-boss throughput: jobs handled in this window, from its start. */
  windowMs?: number;
  /** pg-boss: jobs per fetch of each of its `concurrency` workers (1: no batching). */
  batchSize?: number;
}

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

main(async () => {
  const params = scenarioParams<P8Params>();
  const schema = `bench_p8_${process.pid}`;
  const pool = new Pool({ connectionString: DATABASE_URL, max: params.concurrency + 5 });
  pool.on('error', () => undefined); // an idle client dropped: the next query reconnects
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  let handled = 0;
  const startedAt = new Map<number, number>();
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const onJob = (index: number): void => {
    if (params.mode === 'latency') startedAt.set(index, performance.now());
    if (++handled === params.jobs) allDone();
  };
  try {
    if (params.variant === 'ours') {
      const store = new PostgresWorkerStore(pool, { schema });
      const queue = await store.queue<{ i: number }>('p8');
      await queue.check();
      const worker = new DbWorker(queue, (row) => onJob(row.payload.i), {
        name: 'p8',
        concurrency: params.concurrency,
        pollIntervalMs: 1000,
        logger: quiet,
        recorder: new JobHistory(100), // as in a Nest app, whose module keeps 100 by default
      });
      store.onAnnounced('p8', () => worker.notify());
      return await measure(
        params,
        (count) =>
          pool.query(
            `INSERT INTO ${schema}.routines_jobs (queue, payload) SELECT 'p8', json_build_object('i', i) FROM generate_series(1, $1) AS i`,
            [count],
          ),
        (i) => store.enqueue('p8', { i }),
        async () => {
          worker.start();
          await sleep(200); // LISTEN connected
          return async () => {
            await worker.stop(1000);
            await store.close();
          };
        },
        done,
        startedAt,
      );
    }
    if (params.variant === 'pgboss' || params.variant === 'pgbossBatch') {
      const boss = new PgBoss({
        connectionString: DATABASE_URL,
        schema,
        max: params.concurrency + 5,
        supervise: false,
        schedule: false,
        migrate: true,
      });
      boss.on('error', () => undefined);
      await boss.start();
      await boss.createQueue('noop');
      const ids: string[] = [];
      return await measure(
        params,
        async (count) => {
          for (let from = 1; from <= count; from += 1000) {
            const batch = Array.from({ length: Math.min(1000, count - from + 1) }, (_, k) => ({
              name: 'noop',
              data: { i: from + k },
            }));
            await boss.insert(batch);
          }
        },
        (i) => boss.send('noop', { i }),
        async () => {
          for (let n = 0; n < params.concurrency; n++) {
            ids.push(
              await boss.work<{ i: number }>(
                'noop',
                { batchSize: params.batchSize ?? 1, pollingIntervalSeconds: 0.5 },
                async (jobs) => {
                  for (const job of jobs) onJob(job.data.i);
                },
              ),
            );
          }
          await sleep(200);
          return () => boss.stop({ graceful: true, wait: true, timeout: 5000 });
        },
        params.mode === 'throughput' && params.windowMs
          ? Promise.race([done, sleep(params.windowMs + 200)])
          : done,
        startedAt,
        () => handled,
      );
    }
    await runMigrations({ pgPool: pool, schema, logger: silentGraphileLogger() });
    return await measure(
      params,
      (count) =>
        pool.query(
          `SELECT ${schema}.add_job('noop', json_build_object('i', i)) FROM generate_series(1, $1) AS i`,
          [count],
        ),
      (i) => pool.query(`SELECT ${schema}.add_job('noop', json_build_object('i', $1::int))`, [i]),
      async () => {
        const runner = await run({
          pgPool: pool,
          schema,
          concurrency: params.concurrency,
          noHandleSignals: true,
          pollInterval: 1000,
          logger: silentGraphileLogger(),
          taskList: { noop: async (payload) => onJob((payload as { i: number }).i) },
        });
        await sleep(200);
        return () => runner.stop();
      },
      done,
      startedAt,
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
});

async function measure(
  params: P8Params,
  queueUpFront: (count: number) => Promise<unknown>,
  enqueueOne: (i: number) => Promise<unknown>,
  start: () => Promise<() => Promise<void>>,
  done: Promise<void>,
  startedAt: Map<number, number>,
  handled: () => number = () => params.jobs,
): Promise<object> {
  if (params.mode === 'throughput') {
    await queueUpFront(params.jobs);
    const t0 = performance.now();
    const stop = await start();
    await done;
    const count = handled();
    const seconds = (performance.now() - t0 - 200) / 1000;
    await stop();
    return { variant: params.variant, jobsPerSecond: count / seconds, jobs: count };
  }
  const stop = await start();
  const committedAt = new Map<number, number>();
  const every = 1000 / params.rate;
  const t0 = performance.now();
  for (let i = 1; i <= params.jobs; i++) {
    const wait = t0 + i * every - performance.now();
    if (wait > 0) await sleep(wait);
    await enqueueOne(i);
    committedAt.set(i, performance.now());
  }
  await done;
  await stop();
  const latencies = [...committedAt]
    .map(([i, at]) => Math.max(0, (startedAt.get(i) ?? at) - at))
    .sort((a, b) => a - b);
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  return { variant: params.variant, p50Ms: pick(0.5), p99Ms: pick(0.99) };
}

function silentGraphileLogger() {
  // graphile-worker's Logger takes a factory of scoped log functions.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Logger } = require('@graphile/logger') as {
    Logger: new (factory: () => () => void) => never;
  };
  return new Logger(() => () => undefined);
}
