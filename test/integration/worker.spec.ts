/**
 * The DB-backed worker over an app's own table, on the real PostgreSQL: dequeue without two
 * workers on one row, retries and backoff, NonRetryableError, timeout, cancellation through the
 * column, the fence on a stale claim, stalled rows reset, rows handed back on shutdown, an
 * enqueue rolled back with its transaction, and the table check at start.
 */
import type { Pool } from 'pg';
import { RoutinesConfigurationError } from '../../lib/core';
import {
  DbWorker,
  NonRetryableError,
  PostgresWorkerStore,
  workerTableSql,
  type DbWorkerOptions,
  type JobHandler,
  type PostgresWorkerTable,
} from '../../lib/worker';
import { dropSchema, postgresPool, sleep, unique, waitFor } from './support';

jest.setTimeout(30_000);

interface Upload {
  id: string;
  name: string;
  state: string;
  num_failures: number;
  num_resets: number;
  failure_message: string | null;
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('DbWorker over an app table on PostgreSQL', () => {
  let pool: Pool;
  const schema = unique('worker_it');
  let table: string;
  let uploads: PostgresWorkerTable<Upload>;
  const workers: DbWorker<Upload>[] = [];

  beforeAll(async () => {
    pool = postgresPool(20);
    await pool.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  beforeEach(async () => {
    table = `${schema}.${unique('uploads')}`;
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, name text NOT NULL)`);
    await pool.query(workerTableSql(table));
    uploads = new PostgresWorkerStore(pool).table<Upload>(table);
    await uploads.check();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop(1000)));
  });

  const insert = async (count: number) =>
    pool.query(
      `INSERT INTO ${table} (name) SELECT 'upload-' || i FROM generate_series(1, $1) AS i`,
      [count],
    );
  const rows = async () => (await pool.query<Upload>(`SELECT * FROM ${table} ORDER BY id`)).rows;
  const start = (handler: JobHandler<Upload>, options: Partial<DbWorkerOptions> = {}) => {
    const worker = new DbWorker(uploads, handler, {
      name: 'uploads',
      pollIntervalMs: 50,
      heartbeatMs: 100,
      logger: quiet,
      ...options,
    });
    workers.push(worker);
    worker.start();
    return worker;
  };
  const until = (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) =>
    waitFor(what, check, timeoutMs, 25);
  const allIn = (state: string) => async () => (await rows()).every((row) => row.state === state);

  it('refuses a missing table, missing columns and wrong types, naming each', async () => {
    const missing = await new PostgresWorkerStore(pool)
      .table(`${schema}.nope`)
      .check()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RoutinesConfigurationError);
    expect(String(missing)).toContain(`${schema}.nope`);
    const bare = `${schema}.${unique('bare')}`;
    await pool.query(`CREATE TABLE ${bare} (id bigserial PRIMARY KEY, state integer)`);
    const error = (await new PostgresWorkerStore(pool)
      .table(bare)
      .check()
      .catch((e: unknown) => e)) as RoutinesConfigurationError;
    const options = error.problems.map((problem) => problem.option);
    expect(options).toContain('columns.state');
    expect(options).toContain('columns.lastHeartbeatAt');
    expect(String(error)).toContain('is integer');
    await new PostgresWorkerStore(pool).table(bare, { columns: { state: 'job_state' } }).prepare();
  });

  it('processes every row exactly once with two workers of concurrency 4, never one row twice at once', async () => {
    await insert(400);
    await pool.query(
      `CREATE TABLE ${table}_log (id bigint, started timestamptz, ended timestamptz)`,
    );
    const handler: JobHandler<Upload> = async (row) => {
      const started = new Date();
      await sleep(Math.random() * 3);
      await pool.query(`INSERT INTO ${table}_log VALUES ($1, $2, clock_timestamp())`, [
        row.id,
        started,
      ]);
    };
    start(handler, { concurrency: 4 });
    start(handler, { concurrency: 4 });
    await until('every row completed', allIn('completed'));
    const log = (
      await pool.query<{ id: string; n: string }>(
        `SELECT id, count(*) AS n FROM ${table}_log GROUP BY id`,
      )
    ).rows;
    expect(log).toHaveLength(400);
    expect(log.every((entry) => entry.n === '1')).toBe(true);
  });

  it('retries with backoff, fails past maxAttempts, and fails a NonRetryableError at once', async () => {
    await insert(3);
    const attempts = new Map<string, number>();
    start(
      (row, job) => {
        attempts.set(row.name, job.attempt);
        if (row.name === 'upload-1' && job.attempt < 3) throw new Error(`flaky ${job.attempt}`);
        if (row.name === 'upload-2') throw new Error('always');
        if (row.name === 'upload-3') throw new NonRetryableError('bad input');
      },
      { maxAttempts: 3, backoff: { initialMs: 20, maxMs: 100 } },
    );
    await until('all settled', async () =>
      (await rows()).every((row) => ['completed', 'failed'].includes(row.state)),
    );
    const [one, two, three] = await rows();
    expect(one).toEqual(
      expect.objectContaining({ state: 'completed', num_failures: 2, failure_message: 'flaky 2' }),
    );
    expect(two).toEqual(
      expect.objectContaining({ state: 'failed', num_failures: 3, failure_message: 'always' }),
    );
    expect(three).toEqual(
      expect.objectContaining({ state: 'failed', num_failures: 1, failure_message: 'bad input' }),
    );
    expect(attempts.get('upload-1')).toBe(3);
  });

  it('fails a job past its timeout, aborting its signal, and retries it', async () => {
    await insert(1);
    let aborted = 0;
    start(
      async (_row, job) => {
        if (job.attempt === 1) {
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
          aborted++;
        }
      },
      { timeoutMs: 100, backoff: { initialMs: 10, maxMs: 10 } },
    );
    await until('completed', allIn('completed'));
    expect(aborted).toBe(1);
    expect((await rows())[0]).toEqual(
      expect.objectContaining({ num_failures: 1, failure_message: 'timed out after 100 ms' }),
    );
  });

  it('aborts a job whose cancel column is set within a heartbeat, and marks it canceled', async () => {
    await insert(1);
    let abortedAt = 0;
    start(async (_row, job) => {
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      abortedAt = Date.now();
    });
    await until('processing', allIn('processing'));
    const cancelledAt = Date.now();
    await pool.query(`UPDATE ${table} SET cancel = true`);
    await until('canceled', allIn('canceled'));
    expect(abortedAt - cancelledAt).toBeLessThan(400); // heartbeat every 100 ms
    expect((await rows())[0].num_failures).toBe(0);
  });

  it("refuses a stale claim's final write after its row was reset and taken by another", async () => {
    await insert(1);
    const [stale] = await uploads.dequeue(1, 'host:1:stale');
    await pool.query(`UPDATE ${table} SET last_heartbeat_at = now() - interval '1 hour'`);
    expect(await uploads.resetStalled(60_000, 3)).toEqual({ reset: 1, failed: 0 });
    const [fresh] = await uploads.dequeue(1, 'host:2:fresh');
    expect(fresh.id).toBe(stale.id);
    expect(await uploads.complete(stale)).toBe(false);
    expect(await uploads.fail(stale, 'late', { maxAttempts: 5, retryInMs: 0, retry: true })).toBe(
      'fenced',
    );
    expect(await uploads.complete(fresh)).toBe(true);
    expect((await rows())[0]).toEqual(
      expect.objectContaining({ state: 'completed', num_resets: 1, num_failures: 0 }),
    );
  });

  it("resets a dead worker's stalled row and finishes it; fails a row reset too often", async () => {
    await insert(2);
    await uploads.dequeue(2, 'host:3:dead');
    await pool.query(`UPDATE ${table} SET num_resets = 3 WHERE name = 'upload-2'`);
    start(() => undefined, { stalledAfterMs: 300, maxResets: 3 });
    await until('settled', async () =>
      (await rows()).every((row) => row.state !== 'processing' && row.state !== 'queued'),
    );
    const [one, two] = await rows();
    expect(one).toEqual(expect.objectContaining({ state: 'completed', num_resets: 1 }));
    expect(two).toEqual(expect.objectContaining({ state: 'failed', num_resets: 4 }));
  });

  it('hands unfinished rows back to queued on stop, without counting a failure, and another worker finishes them', async () => {
    await insert(2);
    const first = start(
      async (_row, job) => {
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      },
      { concurrency: 2 },
    );
    await until('processing', allIn('processing'));
    await first.stop(100);
    expect((await rows()).map((row) => [row.state, row.num_failures])).toEqual([
      ['queued', 0],
      ['queued', 0],
    ]);
    start(() => undefined);
    await until('completed', allIn('completed'));
  });

  it('processes nothing enqueued in a transaction that rolled back, and picks up a notified row at once', async () => {
    const seen: string[] = [];
    const worker = start((row) => void seen.push(row.name), { pollIntervalMs: 60_000 });
    await sleep(100); // the first dequeue found nothing; the next poll is a minute away
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} (name) VALUES ('rolled-back')`);
      await client.query('ROLLBACK');
      await client.query(`INSERT INTO ${table} (name) VALUES ('committed')`);
    } finally {
      client.release();
    }
    const notifiedAt = Date.now();
    worker.notify();
    await until('completed', async () => seen.length === 1, 2000);
    expect(Date.now() - notifiedAt).toBeLessThan(500);
    expect(seen).toEqual(['committed']);
  });
});
