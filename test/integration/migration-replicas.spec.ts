/**
 * Out-of-band migrations across three Nest replicas, on PostgreSQL (rows and state) and on
 * Redis (state) with the rows in PostgreSQL: a migration over 20,000 rows in batches of 500,
 * the runner SIGKILLed halfway; progress reaches 1, every row is migrated, no two batches ever
 * overlapped (each batch records its span on the database clock in its own transaction) and
 * epochs only grew. Then reverse back to 0, every replica restarted, the direction still
 * reverse, and forward again to 1.
 */
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { PostgresCoordinator, RedisCoordinator } from '../../lib/coordination';
import type { MigrationStateStore } from '../../lib/core';
import {
  connectRedis,
  deleteRedisKeys,
  dropSchema,
  ENGINES,
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

const ROWS = 20_000;

describe.each(ENGINES)('an out-of-band migration across three replicas, state on %s', (engine) => {
  let pool: Pool;
  let redis: Redis | undefined;
  const schema = unique('oob_it');
  const keyPrefix = `${unique('oob')}:`;
  let store: MigrationStateStore;

  beforeAll(async () => {
    pool = postgresPool(4);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".items (id bigserial PRIMARY KEY, name text NOT NULL, size int)`,
    );
    await pool.query(
      `CREATE TABLE "${schema}".batches (id bigserial PRIMARY KEY, pid int NOT NULL, epoch bigint NOT NULL, ` +
        `direction text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz, rows int)`,
    );
    await pool.query(
      `INSERT INTO "${schema}".items (name) SELECT repeat('x', 1 + i % 40) FROM generate_series(1, ${ROWS}) AS i`,
    );
    if (engine === 'redis') {
      redis = await connectRedis();
      store = new RedisCoordinator(redis, { keyPrefix }).migrations;
    } else {
      store = new PostgresCoordinator(pool, { schema }).migrations;
    }
  });
  afterAll(async () => {
    await killAll();
    if (redis) {
      await deleteRedisKeys(redis, keyPrefix);
      redis.disconnect();
    }
    await dropSchema(pool, schema);
    await pool.end();
  });

  const start = (label: string) =>
    new Replica(label, { engine, schema, keyPrefix }, 'migration-replica.ts');
  const progress = async () =>
    (await store.list()).find((migration) => migration.id === 'fill-item-size');
  const batchRows = async () =>
    (
      await pool.query<{
        pid: number;
        epoch: string;
        direction: string;
        started: string;
        ended: string;
        rows: number;
      }>(
        `SELECT pid, epoch::text, direction, (extract(epoch from started_at) * 1000000)::bigint::text AS started, ` +
          `(extract(epoch from ended_at) * 1000000)::bigint::text AS ended, rows FROM "${schema}".batches ORDER BY started_at`,
      )
    ).rows;

  /** No batch began before the one before it had committed; epochs never went back. */
  const expectSerial = (rows: Awaited<ReturnType<typeof batchRows>>) => {
    let overlaps = 0;
    let epochWentBack = 0;
    for (let i = 1; i < rows.length; i++) {
      if (BigInt(rows[i].started) < BigInt(rows[i - 1].ended)) overlaps++;
      if (BigInt(rows[i].epoch) < BigInt(rows[i - 1].epoch)) epochWentBack++;
    }
    expect({ overlaps, epochWentBack }).toEqual({ overlaps: 0, epochWentBack: 0 });
  };

  it('finishes every row after its runner is killed halfway, one batch at a time, epochs only growing', async () => {
    const began = Date.now();
    let replicas = [start('r1'), start('r2'), start('r3')];
    await Promise.all(replicas.map((replica) => replica.ready(30_000)));
    await waitFor('half the rows', async () => ((await progress())?.progress ?? 0) >= 0.5, 60_000);
    const [first] = (await batchRows()).slice(-1);
    const runner = replicas.find((replica) => replica.pid === first.pid)!;
    expect(runner).toBeDefined();
    const killedAt = Date.now();
    const progressAtKill = (await progress())!.progress;
    await kill(runner.process);
    await waitFor('progress 1', async () => (await progress())?.progress === 1, 60_000);
    const doneAt = Date.now();

    const left = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".items WHERE size IS NULL OR size <> length(name)`,
    );
    expect(left.rows[0].n).toBe(0);
    const rows = (await batchRows()).filter((row) => row.direction === 'forward');
    expectSerial(rows);
    expect(rows.reduce((sum, row) => sum + row.rows, 0)).toBe(ROWS);
    const runners = [...new Set(rows.map((row) => row.pid))];
    expect(runners.length).toBeGreaterThanOrEqual(2);
    expect(runners[0]).toBe(runner.pid);
    expect(
      rows
        .filter((row) => row.pid === runner.pid)
        .every((row) => BigInt(row.epoch) < BigInt(rows.at(-1)!.epoch)),
    ).toBe(true);
    const takeover = rows.find((row) => row.pid !== runner.pid)!;
    const stored = (await progress())!;
    expect(stored.reverse).toBe(false);
    expect(stored.epoch).toBe(Number(rows.at(-1)!.epoch));
    const survivors = replicas.filter((replica) => replica !== runner);
    const completed = survivors.flatMap((replica) => replica.of('migration-completed' as never));
    expect(completed.length).toBeGreaterThanOrEqual(1);
    console.log(
      `[oob migration ${engine}] ${ROWS} rows in ${rows.length} batches of 500 on ${runners.length} runners (pids ${runners.join(', ')}), ` +
        `${doneAt - began} ms in all; runner killed -9 at progress ${progressAtKill.toFixed(3)}, next batch ${Math.round(Number(BigInt(takeover.started) / 1000n) - killedAt)} ms after the kill ` +
        `(epoch ${rows[0].epoch} -> ${rows.at(-1)!.epoch}); overlapping batches: 0; epochs going back: 0`,
    );

    // Reverse: back to 0, every row undone.
    await store.setDirection('fill-item-size', true);
    await waitFor('progress 0', async () => (await progress())?.progress === 0, 60_000);
    const undone = await pool.query(`SELECT count(size)::int AS n FROM "${schema}".items`);
    expect(undone.rows[0].n).toBe(0);
    expectSerial(await batchRows());

    // Every replica restarted: the direction is still reverse, and nothing runs forward.
    await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
    replicas = [start('r4'), start('r5'), start('r6')];
    await Promise.all(replicas.map((replica) => replica.ready(30_000)));
    const forwardBefore = (await batchRows()).filter((row) => row.direction === 'forward').length;
    await sleep(1500);
    expect((await progress())!.reverse).toBe(true);
    expect((await progress())!.progress).toBe(0);
    expect((await batchRows()).filter((row) => row.direction === 'forward')).toHaveLength(
      forwardBefore,
    );

    // Forward again: to 1.
    await store.setDirection('fill-item-size', false);
    await waitFor('progress 1 again', async () => (await progress())?.progress === 1, 60_000);
    const filled = await pool.query(
      `SELECT count(*)::int AS n FROM "${schema}".items WHERE size = length(name)`,
    );
    expect(filled.rows[0].n).toBe(ROWS);
    expectSerial(await batchRows());
    await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
  });
});
