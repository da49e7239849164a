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
});
