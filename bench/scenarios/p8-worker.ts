/**
 * P8/P9: the DB-backed worker against graphile-worker 0.17, on the same PostgreSQL, one process,
 * a no-op handler, no batching. (pg-boss 12 needs Node 22.12; this machine runs Node 20.)
 *
 * - `throughput`: `jobs` jobs queued up front, then the worker started with `concurrency`;
 *   jobs per second from its start to the last job's end.
 * - `latency`: one job enqueued every 1000/`rate` ms for `jobs` jobs (each its own committed
 *   INSERT), from the enqueue's return (committed) to the handler's start; p50 and p99.
 */
import { Pool } from 'pg';
import { run, runMigrations } from 'graphile-worker';
import { DbWorker, PostgresWorkerStore } from '../../lib/worker';
import { main, scenarioParams, sleep } from '../harness';

export interface P8Params {
  variant: 'ours' | 'graphile';
  mode: 'throughput' | 'latency';
  jobs: number;
  concurrency: number;
  rate: number;
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
): Promise<object> {
  if (params.mode === 'throughput') {
    await queueUpFront(params.jobs);
    const t0 = performance.now();
    const stop = await start();
    await done;
    const seconds = (performance.now() - t0 - 200) / 1000;
    await stop();
    return { variant: params.variant, jobsPerSecond: params.jobs / seconds };
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
