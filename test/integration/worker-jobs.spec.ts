/**
 * Jobs as operators handle them, on the real PostgreSQL: a row canceled while queued ends
 * `canceled`; listing, search and keyset pages; retry, discard and cancel by ids or by filter,
 * against a running handler and a concurrent worker; pruning of finished rows in bounded
 * batches, with rows backdated through SQL.
 */
import type { Pool } from 'pg';
import {
  DbWorker,
  PostgresWorkerStore,
  workerTableSql,
  type DbWorkerOptions,
  type JobHandler,
  type JobRow,
  type PostgresWorkerTable,
} from '../../lib/worker';
import { dropSchema, postgresPool, unique, waitFor } from './support';

jest.setTimeout(30_000);

interface Upload {
  id: string;
  name: string;
  state: string;
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('jobs of an app table, as operators handle them', () => {
  let pool: Pool;
  const schema = unique('worker_jobs_it');
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
  const rows = async () =>
    (await pool.query<Upload & Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY id`)).rows;
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

  it('ends a row whose cancel column was set while it was queued as canceled, never running it', async () => {
    await insert(3);
    await pool.query(`UPDATE ${table} SET cancel = true WHERE name = 'upload-2'`);
    // errored and waiting for its retry an hour away: canceled now, not in an hour
    await pool.query(
      `UPDATE ${table} SET state = 'errored', process_after = now() + interval '1 hour', cancel = true WHERE name = 'upload-3'`,
    );
    const handled: string[] = [];
    start((row) => {
      handled.push(row.name);
    });
    await until('upload-2 and upload-3 canceled', async () =>
      (await rows()).every(
        (row) => row.state === (row.name === 'upload-1' ? 'completed' : 'canceled'),
      ),
    );
    expect(handled).toEqual(['upload-1']);
    const canceled = (await rows()).filter((row) => row.state === 'canceled');
    for (const row of canceled) {
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.started_at).toBeNull();
    }
  });

  it("lists newest first in keyset pages, by state and by id, with each row's fields", async () => {
    await insert(7);
    // distinct queued_at values, two rows sharing one (the id breaks the tie)
    await pool.query(
      `UPDATE ${table} SET queued_at = timestamptz '2030-01-01' + (id / 2) * interval '1.000001 second'`,
    );
    await pool.query(
      `UPDATE ${table} SET state = 'failed', num_failures = 5, failure_message = repeat('x', 3000), finished_at = now() WHERE name = 'upload-3'`,
    );
    await pool.query(
      `UPDATE ${table} SET state = 'errored', num_failures = 1, process_after = timestamptz '2031-01-01' WHERE name = 'upload-4'`,
    );
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await uploads.jobs({ limit: 3, before });
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((job) => job.id));
      before = page.next;
    } while (before);
    const all = (await rows()).map((row) => String(row.id));
    expect(seen).toEqual([...all].reverse());

    const failed = await uploads.jobs({ state: 'failed' });
    expect(failed.next).toBeUndefined();
    expect(failed.jobs).toEqual([
      expect.objectContaining({ state: 'failed', attempts: 5, cancel: false }),
    ]);
    expect(failed.jobs[0].error).toHaveLength(2000);
    expect(typeof failed.jobs[0].finishedAt).toBe('number');
    const waiting = await uploads.jobs({ state: ['errored', 'failed'] });
    expect(waiting.jobs.map((job) => job.state).sort()).toEqual(['errored', 'failed']);
    const errored = waiting.jobs.find((job) => job.state === 'errored')!;
    expect(errored.runAfter).toBe(Date.parse('2031-01-01T00:00:00Z'));
    expect(errored.queuedAt).toBe(Date.parse('2030-01-01T00:00:02.000Z'));
    const one = await uploads.jobs({ search: errored.id });
    expect(one.jobs.map((job) => job.id)).toEqual([errored.id]);
    // Bad queries name the option and the value.
    await expect(uploads.jobs({ limit: 501 })).rejects.toThrow("option 'limit' = 501");
    await expect(uploads.jobs({ state: 'done' as never })).rejects.toThrow('is not a job state');
    await expect(uploads.jobs({ before: 'nope' })).rejects.toThrow("option 'before'");
    await expect(uploads.jobs({ search: 'name=x' })).rejects.toThrow('search by id');
  });

  it('retries, discards and cancels by ids and by filter; refuses an empty filter', async () => {
    await insert(6);
    const id = async (name: string) => String((await rows()).find((row) => row.name === name)!.id);
    await pool.query(
      `UPDATE ${table} SET state = 'failed', num_failures = 5, finished_at = now(), failure_message = 'boom' WHERE name IN ('upload-1', 'upload-2')`,
    );
    await pool.query(
      `UPDATE ${table} SET state = 'errored', num_failures = 2, process_after = now() + interval '1 hour', failure_message = 'flaky' WHERE name = 'upload-3'`,
    );
    await pool.query(
      `UPDATE ${table} SET state = 'completed', finished_at = now() WHERE name = 'upload-6'`,
    );
    await expect(uploads.retry({} as never)).rejects.toThrow('is empty');
    await expect(uploads.retry({ ids: [] })).rejects.toThrow("option 'ids'");
    await expect(uploads.retry({ ids: ['abc'] })).rejects.toThrow("id column's type (bigint)");

    expect(await uploads.retry({ ids: [await id('upload-1')] }, { maxAttempts: 5 })).toEqual({
      count: 1,
    });
    const retried = (await rows()).find((row) => row.name === 'upload-1')!;
    // Sidekiq/Oban: the attempts are kept, one more is given
    expect(retried).toEqual(
      expect.objectContaining({ state: 'queued', num_failures: 4, failure_message: 'boom' }),
    );
    expect(retried.finished_at).toBeNull();

    expect(await uploads.discard({ state: ['errored', 'queued'] })).toEqual({ count: 4 });
    const discarded = (await rows()).find((row) => row.name === 'upload-3')!;
    expect(discarded.state).toBe('failed');
    expect(discarded.failure_message).toBe('discarded by an operator (last error: flaky)');
    expect((await uploads.jobs({ state: 'failed' })).jobs).toHaveLength(5);

    // retry every failed row: 5 back; the completed row is left alone
    expect(await uploads.retry({ state: 'failed' })).toEqual({ count: 5 });
    expect(await uploads.cancel({ ids: [await id('upload-5'), await id('upload-6')] })).toEqual({
      count: 1,
    });
    const states = Object.fromEntries((await rows()).map((row) => [row.name, row.state]));
    expect(states).toEqual({
      'upload-1': 'queued',
      'upload-2': 'queued',
      'upload-3': 'queued',
      'upload-4': 'queued',
      'upload-5': 'canceled',
      'upload-6': 'completed',
    });
    // a canceled row can be retried: its cancel flag is cleared
    expect(await uploads.retry({ state: 'canceled' })).toEqual({ count: 1 });
    expect((await rows()).find((row) => row.name === 'upload-5')!.cancel).toBe(false);
  });

  it('never retries or discards a row under a running handler; cancel aborts its signal', async () => {
    await insert(1);
    let aborted: unknown;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    start(async (_row, job) => {
      job.signal.addEventListener('abort', () => {
        aborted = job.signal.reason;
        finish();
      });
      await done;
    });
    await until('processing', async () => (await rows())[0].state === 'processing');
    const [row] = await rows();
    expect(await uploads.retry({ ids: [String(row.id)] })).toEqual({ count: 0 });
    expect(await uploads.discard({ state: ['queued', 'errored'] })).toEqual({ count: 0 });
    expect((await rows())[0].state).toBe('processing');
    expect(await uploads.cancel({ state: 'processing' })).toEqual({ count: 1 });
    await until('canceled', async () => (await rows())[0].state === 'canceled');
    expect(aborted).toBeDefined();
    expect((await rows())[0].failure_message).toBe('canceled by an operator');
    const [listed] = (await uploads.jobs()).jobs;
    expect(listed).toEqual(
      expect.objectContaining({ state: 'canceled', attempts: 1, cancel: true }),
    );
  });

  it('cancels 300 queued rows while two workers dequeue them: no canceled row runs, none is lost', async () => {
    await insert(300);
    await pool.query(`CREATE TABLE ${table}_ran (id bigint)`);
    const handler: JobHandler<Upload> = async (row, job) => {
      await pool.query(`INSERT INTO ${table}_ran VALUES ($1)`, [row.id]);
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (job.signal.aborted) throw job.signal.reason;
    };
    start(handler, { concurrency: 4 });
    start(handler, { concurrency: 4 });
    await until('some started', async () => (await rows()).some((r) => r.state !== 'queued'));
    const { count } = await uploads.cancel({ state: ['queued', 'errored', 'processing'] });
    expect(count).toBeGreaterThan(0);
    await until('every row ended', async () =>
      (await rows()).every((r) => r.state === 'completed' || r.state === 'canceled'),
    );
    const ran = new Set(
      (await pool.query<{ id: string }>(`SELECT id::text FROM ${table}_ran`)).rows.map((r) => r.id),
    );
    for (const r of await rows()) {
      // a row canceled before it started never ran; one canceled running was flagged and ran
      if (r.state === 'canceled' && r.started_at === null)
        expect(ran.has(String(r.id))).toBe(false);
      if (r.state === 'completed') expect(ran.has(String(r.id))).toBe(true);
    }
  });

  it('retries and discards over and over while two workers dequeue: no row runs twice at once, every row ends', async () => {
    await insert(200);
    // every row due and waiting for its retry: the workers and the operator want the same rows
    await pool.query(`UPDATE ${table} SET state = 'errored', num_failures = 1`);
    await pool.query(
      `CREATE TABLE ${table}_log (id bigint, started timestamptz, ended timestamptz)`,
    );
    const handler: JobHandler<Upload> = async (row) => {
      const started = new Date();
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      await pool.query(`INSERT INTO ${table}_log VALUES ($1, $2, clock_timestamp())`, [
        row.id,
        started,
      ]);
    };
    start(handler, { concurrency: 4 });
    start(handler, { concurrency: 4 });
    for (let round = 0; round < 20; round++) {
      await uploads.retry({ state: ['errored', 'failed'] });
      if (round === 5) await uploads.discard({ state: 'errored' });
    }
    await uploads.retry({ state: 'failed' }); // the discarded rows back too
    await until('every row completed', async () =>
      (await rows()).every((row) => row.state === 'completed'),
    );
    const overlaps = await pool.query(
      `SELECT a.id FROM ${table}_log a JOIN ${table}_log b ON a.id = b.id AND a.ctid <> b.ctid ` +
        `AND a.started < b.ended AND b.started < a.ended`,
    );
    expect(overlaps.rowCount).toBe(0);
    const ran = await pool.query(`SELECT DISTINCT id FROM ${table}_log`);
    expect(ran.rowCount).toBe(200);
  });
});

describe('jobs of a plain queue, as operators handle them', () => {
  let pool: Pool;
  const schema = unique('worker_queue_it');
  let store: PostgresWorkerStore;
  let queue: PostgresWorkerTable<JobRow>;
  let jobs: string;

  beforeAll(async () => {
    pool = postgresPool(10);
    await pool.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });
  beforeEach(async () => {
    const name = unique('jobs');
    jobs = `"${schema}"."${name}"`;
    store = new PostgresWorkerStore(pool, { schema, jobsTable: name });
    queue = await store.queue('emails');
    await queue.check();
  });
  afterEach(() => store.close());

  it('searches by key and payload, caps a large payload, and lists only its own queue', async () => {
    await store.enqueue('emails', { to: 'a@example.com', n: 42 }, { key: 'welcome:a' });
    await store.enqueue('emails', { to: 'b@example.com', n: 7 });
    await store.enqueue('emails', { blob: 'y'.repeat(20_000) });
    await store.enqueue('other', { to: 'a@example.com' });
    expect((await queue.jobs()).jobs).toHaveLength(3);
    expect((await queue.jobs({ search: 'welcome:a' })).jobs).toEqual([
      expect.objectContaining({ key: 'welcome:a', payload: { to: 'a@example.com', n: 42 } }),
    ]);
    expect((await queue.jobs({ search: 'to=b@example.com' })).jobs).toHaveLength(1);
    expect((await queue.jobs({ search: 'n=42' })).jobs).toHaveLength(1);
    expect((await queue.jobs({ search: '{"n":7}' })).jobs).toHaveLength(1);
    await expect(queue.jobs({ search: '{"n":' })).rejects.toThrow('is not a JSON object');
    const [large] = (await queue.jobs({ search: '{}' })).jobs.filter(
      (job) => typeof job.payload === 'string',
    );
    expect(String(large.payload)).toMatch(/… \[cut: \d+ bytes\]$/);
    expect(Buffer.byteLength(String(large.payload))).toBeLessThan(8300);
    // newest first by id as a number, not as text ('10' before '9')
    for (let i = 0; i < 10; i++) await store.enqueue('emails', { i });
    const listed = (await queue.jobs({ limit: 13 })).jobs.map((job) => Number(job.id));
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    expect(listed).toHaveLength(13);
    // actions by payload search
    expect(await queue.discard({ state: 'queued', search: 'to=a@example.com' })).toEqual({
      count: 1,
    });
  });

  it('retries only the newest ended job of a key, and none while the key is pending', async () => {
    const first = (await store.enqueue('emails', { n: 1 }, { key: 'k' }))!;
    await pool.query(`UPDATE ${jobs} SET state = 'failed', num_failures = 5 WHERE id = $1`, [
      first,
    ]);
    const second = (await store.enqueue('emails', { n: 2 }, { key: 'k' }))!;
    expect(await queue.retry({ state: 'failed' })).toEqual({ count: 0 }); // k is pending
    await pool.query(`UPDATE ${jobs} SET state = 'failed', num_failures = 5 WHERE id = $1`, [
      second,
    ]);
    expect(await queue.retry({ state: 'failed' })).toEqual({ count: 1 });
    const { rows } = await pool.query<{ id: string; state: string }>(
      `SELECT id::text, state FROM ${jobs} ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: first, state: 'failed' },
      { id: second, state: 'queued' },
    ]);
  });

  it('prunes ended rows past their retention in bounded batches, keeping the rest', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await store.enqueue('emails', { i }))!);
    await store.enqueue('other', { i: 'other' });
    const age = (days: number) => `now() - interval '${days} days'`;
    const set = (state: string, days: number, which: string[]) =>
      pool.query(
        `UPDATE ${jobs} SET state = '${state}', finished_at = ${age(days)} WHERE id = ANY($1::bigint[])`,
        [which],
      );
    await set('completed', 8, ids.slice(0, 5)); // past 7 days: pruned
    await set('completed', 6, ids.slice(5, 6)); // kept
    await set('canceled', 8, ids.slice(6, 7)); // pruned
    await set('failed', 8, ids.slice(7, 8)); // kept: failed rows stay 30 days
    await set('failed', 31, ids.slice(8, 10)); // pruned
    await set('errored', 40, ids.slice(10, 11)); // waiting for a retry: kept
    await pool.query(
      `UPDATE ${jobs} SET state = 'completed', finished_at = ${age(100)} WHERE queue = 'other'`,
    );
    const retention = {
      completed: 7 * 86_400_000,
      canceled: 7 * 86_400_000,
      failed: 30 * 86_400_000,
    };
    expect(await queue.pruneBatch(retention, 3)).toBe(3);
    expect(await queue.pruneBatch(retention, 3)).toBe(3);
    expect(await queue.pruneBatch(retention, 3)).toBe(2);
    expect(await queue.pruneBatch(retention, 3)).toBe(0);
    const left = (
      await pool.query<{ id: string }>(
        `SELECT id::text FROM ${jobs} WHERE queue = 'emails' ORDER BY id`,
      )
    ).rows.map((r) => r.id);
    expect(left.sort()).toEqual([ids[5], ids[7], ids[10], ids[11]].sort());
    // the other queue's rows are its own worker's to prune
    expect((await pool.query(`SELECT 1 FROM ${jobs} WHERE queue = 'other'`)).rowCount).toBe(1);
    // failed kept for ever
    await pool.query(
      `UPDATE ${jobs} SET finished_at = ${age(1000)}, state = 'failed' WHERE id = $1`,
      [ids[7]],
    );
    expect(await queue.pruneBatch({ completed: 1 }, 100)).toBe(1); // ids[5] only
  });
});
