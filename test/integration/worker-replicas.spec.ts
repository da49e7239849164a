/**
 * The DB-backed worker across processes on the real PostgreSQL: three workers over 5,000 rows
 * with one killed with SIGKILL halfway, and a SIGTERM in the middle of a job.
 */
import type { Pool } from 'pg';
import { workerTableSql } from '../../lib/worker';
import {
  DATABASE_URL,
  dropSchema,
  kill,
  killAll,
  postgresPool,
  Replica,
  sleep,
  stopGracefully,
  unique,
  waitFor,
} from './support';

jest.setTimeout(120_000);

describe('DbWorker across processes on PostgreSQL', () => {
  let pool: Pool;
  const schema = unique('worker_procs');
  let table: string;

  beforeAll(async () => {
    pool = postgresPool(4);
    await pool.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await killAll();
    await dropSchema(pool, schema);
    await pool.end();
  });
  beforeEach(async () => {
    table = `${schema}.${unique('jobs')}`;
    await pool.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, payload text)`);
    await pool.query(workerTableSql(table));
    await pool.query(
      `CREATE TABLE ${table}_log (log bigserial PRIMARY KEY, id bigint, pid int, started timestamptz, ended timestamptz)`,
    );
  });

  const worker = (label: string, config: Record<string, unknown>) =>
    new Replica(
      label,
      {
        databaseUrl: DATABASE_URL,
        table,
        concurrency: 4,
        jobMs: 2,
        heartbeatMs: 200,
        stalledAfterMs: 1000,
        graceMs: 300,
        ...config,
      },
      'worker-replica.ts',
    );
  const count = async (where: string) =>
    Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0]
        .n,
    );

  it('finishes 5,000 rows with one of three workers SIGKILLed halfway, never one row on two workers at once', async () => {
    await pool.query(
      `INSERT INTO ${table} (payload) SELECT 'p' || i FROM generate_series(1, 5000) AS i`,
    );
    const workers = [worker('w1', {}), worker('w2', {}), worker('w3', {})];
    await Promise.all(workers.map((w) => w.ready(30_000)));
    const started = Date.now();
    while ((await count(`state = 'completed'`)) < 2500) await sleep(20);
    await kill(workers[0].process);
    const killedAt = new Date();
    let completed = 0;
    while ((completed = await count(`state = 'completed'`)) < 5000) {
      if (Date.now() - started > 90_000) throw new Error(`only ${completed} completed`);
      await sleep(50);
    }
    const elapsed = Date.now() - started;
    expect(await count(`state <> 'completed'`)).toBe(0);

    // Per row, its attempts in start order: each starts after the previous one ended (a
    // killed worker's attempt never ends: after the kill, then).
    const log = (
      await pool.query<{ id: string; pid: number; started: Date; ended: Date | null }>(
        `SELECT id, pid, started, ended FROM ${table}_log ORDER BY id, started`,
      )
    ).rows;
    let overlaps = 0;
    const retaken = new Set<string>();
    const retakenFromOthers: string[] = [];
    for (let i = 1; i < log.length; i++) {
      const [previous, next] = [log[i - 1], log[i]];
      if (previous.id !== next.id) continue;
      retaken.add(next.id);
      if (previous.pid !== workers[0].pid) retakenFromOthers.push(next.id);
      if (next.started < (previous.ended ?? killedAt)) overlaps++;
    }
    expect(overlaps).toBe(0);
    // Only the killed worker's rows were handled again: those in flight when it died (a handler
    // may have ended without its completion recorded: at least once, never at once).
    expect(retakenFromOthers).toEqual([]);
    const reset = await count('num_resets > 0');
    expect(reset).toBeGreaterThanOrEqual(retaken.size);
    expect(reset).toBeLessThanOrEqual(4); // its concurrency
    console.log(
      `[worker processes] 5000 rows, 3 workers × concurrency 4, w1 SIGKILLed at 2500 completed: all completed in ${elapsed} ms; ` +
        `${reset} rows in flight on the killed worker, reset after stalledAfter (1 s) and finished by the others; ` +
        `no row on two workers at once`,
    );
    await Promise.all(workers.slice(1).map((w) => stopGracefully(w.process)));
  });

  it('hands a job back to queued on SIGTERM, without counting a failure, and another process finishes it', async () => {
    await pool.query(`INSERT INTO ${table} (payload) VALUES ('long')`);
    const first = worker('sigterm', { waitForAbort: true, concurrency: 1 });
    await first.ready(30_000);
    await waitFor(
      'the job to start',
      () => first.events.some((event) => (event.type as string) === 'job-started'),
      10_000,
    );
    await stopGracefully(first.process);
    const row = (await pool.query(`SELECT state, num_failures, num_resets FROM ${table}`)).rows[0];
    expect(row).toEqual({ state: 'queued', num_failures: 0, num_resets: 0 });
    const second = worker('after', {});
    await second.ready(30_000);
    const deadline = Date.now() + 10_000;
    while ((await count(`state = 'completed'`)) < 1) {
      if (Date.now() > deadline) throw new Error('not finished');
      await sleep(50);
    }
    await stopGracefully(second.process);
  });
});
