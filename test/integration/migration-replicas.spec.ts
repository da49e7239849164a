/**
 * Out-of-band migrations across Nest replicas, on PostgreSQL (rows and state) and on Redis
 * (state) with the rows in PostgreSQL.
 *
 * Three replicas: a migration over 20,000 rows in batches of 500, the runner SIGKILLed
 * halfway; progress reaches 1, every row is migrated, no two batches ever overlapped (each
 * batch records its span on the database clock in its own transaction) and epochs only grew.
 * Then reverse back to 0, every replica restarted, the direction still reverse, and forward
 * again to 1.
 *
 * A rolling deploy that adds a migration: two replicas of v1 (declaring fill-item-size, slow)
 * drive it; v2 declares it and a new fill-item-kind and requires the new one at boot with a
 * wait. v2 boots once its migration is complete, driven by v2 itself (its own lease), while v1
 * still drives the old one; then v1 is replaced by v2 and the old one completes too.
 */
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
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
  type Engine,
} from './support';

jest.setTimeout(120_000);

const ROWS = 20_000;

interface BatchRow {
  pid: number;
  migration: string;
  epoch: string;
  direction: string;
  started: string;
  ended: string;
  rows: number;
}

/** A schema with the rows and the batches' record, the state on `engine`; dropped after the file. */
function useMigrationEngine(engine: Engine) {
  let pool: Pool;
  let redis: Redis | undefined;
  const schema = unique('oob_it');
  const keyPrefix = `${unique('oob')}:`;
  let store: MigrationStateStore;

  beforeAll(async () => {
    pool = postgresPool(4);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".items (id bigserial PRIMARY KEY, name text NOT NULL, size int, kind text)`,
    );
    await pool.query(
      `CREATE TABLE "${schema}".batches (id bigserial PRIMARY KEY, pid int NOT NULL, migration text NOT NULL, epoch bigint NOT NULL, ` +
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

  return {
    schema,
    get pool() {
      return pool;
    },
    get store() {
      return store;
    },
    start: (label: string, version: Record<string, unknown> = {}) =>
      new Replica(label, { engine, schema, keyPrefix, ...version }, 'migration-replica.ts'),
    progress: async (id = 'fill-item-size') =>
      (await store.list()).find((migration) => migration.id === id),
    /** The batches of one migration, in the order they began. */
    batchRows: async (migration = 'fill-item-size') =>
      (
        await pool.query<BatchRow>(
          `SELECT pid, migration, epoch::text, direction, (extract(epoch from started_at) * 1000000)::bigint::text AS started, ` +
            `(extract(epoch from ended_at) * 1000000)::bigint::text AS ended, rows FROM "${schema}".batches ` +
            `WHERE migration = $1 ORDER BY started_at`,
          [migration],
        )
      ).rows,
  };
}

/** Batches of one migration that began before the one before it had committed, and epochs that went back. */
function faults(rows: readonly BatchRow[]): { overlaps: number; epochWentBack: number } {
  let overlaps = 0;
  let epochWentBack = 0;
  for (let i = 1; i < rows.length; i++) {
    if (BigInt(rows[i].started) < BigInt(rows[i - 1].ended)) overlaps++;
    if (BigInt(rows[i].epoch) < BigInt(rows[i - 1].epoch)) epochWentBack++;
  }
  return { overlaps, epochWentBack };
}

/** No batch began before the one before it had committed; epochs never went back. */
const expectSerial = (rows: readonly BatchRow[]) =>
  expect(faults(rows)).toEqual({ overlaps: 0, epochWentBack: 0 });

describe.each(ENGINES)('an out-of-band migration across three replicas, state on %s', (engine) => {
  const it$ = useMigrationEngine(engine);
  const { start, progress, batchRows } = it$;
  const pool = () => it$.pool;
  const store = () => it$.store;
  const schema = it$.schema;

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

    const left = await pool().query(
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
    await store().setDirection('fill-item-size', true);
    await waitFor('progress 0', async () => (await progress())?.progress === 0, 60_000);
    const undone = await pool().query(`SELECT count(size)::int AS n FROM "${schema}".items`);
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
    await store().setDirection('fill-item-size', false);
    await waitFor('progress 1 again', async () => (await progress())?.progress === 1, 60_000);
    const filled = await pool().query(
      `SELECT count(*)::int AS n FROM "${schema}".items WHERE size = length(name)`,
    );
    expect(filled.rows[0].n).toBe(ROWS);
    expectSerial(await batchRows());
    await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
  });
});

describe.each(ENGINES)('a rolling deploy that adds a migration, state on %s', (engine) => {
  const it$ = useMigrationEngine(engine);
  const { start, progress, batchRows } = it$;
  // v1 declares the old migration (slow: 40 batches 300 ms apart, 12 s at least).
  const v1 = {
    migrations: ['fill-item-size'],
    intervals: { 'fill-item-size': '300ms' },
  };
  // v2 adds fill-item-kind and will not start before it is complete, waiting up to 20 s.
  const v2 = {
    migrations: ['fill-item-size', 'fill-item-kind'],
    intervals: { 'fill-item-size': '300ms', 'fill-item-kind': '20ms' },
    require: ['fill-item-kind'],
    wait: '20s',
  };

  it('boots v2 once its own migration is complete, while v1 still drives the old one; then v1 is replaced', async () => {
    const began = Date.now();
    const olds = [start('v1-a', v1), start('v1-b', v1)];
    await Promise.all(olds.map((replica) => replica.ready(30_000)));
    const v1BootMs = Date.now() - began; // a boot with nothing to wait for, for comparison
    await waitFor('v1 driving fill-item-size', async () => (await batchRows()).length >= 2, 30_000);
    const v1Driver = (await batchRows()).at(-1)!.pid;
    expect(olds.map((replica) => replica.pid)).toContain(v1Driver);

    const spawnedAt = Date.now();
    const v2a = start('v2-a', v2);
    let bootMs: number;
    try {
      await v2a.ready(40_000);
      bootMs = Date.now() - spawnedAt;
    } catch (error) {
      const kind = await progress('fill-item-kind');
      console.log(
        `[oob rolling deploy ${engine}] v2 did not boot (${Date.now() - spawnedAt} ms after it was started): ` +
          `fill-item-kind at ${kind?.progress ?? 0}, fill-item-size at ${(await progress())?.progress} driven by v1 pid ${v1Driver}`,
      );
      throw error;
    }
    const kindAtBoot = await batchRows('fill-item-kind');
    const sizeAtBoot = await batchRows();
    const sizeProgressAtBoot = (await progress())!.progress;
    expect((await progress('fill-item-kind'))?.progress).toBe(1);
    // Its own migration, run by v2 itself: the only replica that declares it.
    expect([...new Set(kindAtBoot.map((row) => row.pid))]).toEqual([v2a.pid]);
    // The old one was not finished, so v1 still held its lease as v2 booted.
    expect(sizeProgressAtBoot).toBeLessThan(1);
    const sizeOnV2BeforeV1Left = sizeAtBoot.filter((row) => row.pid === v2a.pid).length;

    // The rest of the roll: a second v2, then each v1 stopped as a deploy does (SIGTERM).
    const v2b = start('v2-b', v2);
    await v2b.ready(40_000); // its migration is complete: it passes the gate at once
    for (const old of olds) await stopGracefully(old.process, 10_000);
    const v1Exits = olds.map((old) => old.process.exitCode ?? old.process.signalCode);
    await waitFor(
      'fill-item-size complete',
      async () => (await progress())?.progress === 1,
      60_000,
    );
    const doneAt = Date.now();

    const left = await it$.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${it$.schema}".items WHERE size IS NULL OR kind IS NULL`,
    );
    expect(left.rows[0].n).toBe(0);
    const sizes = await batchRows();
    const kinds = await batchRows('fill-item-kind');
    const sizeFaults = faults(sizes);
    const kindFaults = faults(kinds);
    // Each row migrated once: the batches' rows add up to the table, per migration.
    const sizeRows = sizes.reduce((sum, row) => sum + row.rows, 0);
    const kindRows = kinds.reduce((sum, row) => sum + row.rows, 0);
    const v1Pids = new Set(olds.map((old) => old.pid));
    const lastV1Epoch = sizes.filter((row) => v1Pids.has(row.pid)).at(-1)!.epoch;
    const firstV2Epoch = sizes.find((row) => !v1Pids.has(row.pid))?.epoch;
    console.log(
      `[oob rolling deploy ${engine}] v2 booted ${bootMs} ms after it was started (v1, with nothing to wait for: ${v1BootMs} ms; fill-item-kind: ${kinds.length} batches, all on v2), ` +
        `fill-item-size at ${sizeProgressAtBoot.toFixed(3)} then, driven by v1 (its batches on v2 before v1 left: ${sizeOnV2BeforeV1Left}); ` +
        `v1 replaced, fill-item-size complete ${doneAt - began} ms after v1 started (${sizes.length} batches: ` +
        `${sizes.filter((row) => v1Pids.has(row.pid)).length} on v1, ${sizes.filter((row) => !v1Pids.has(row.pid)).length} on v2; ` +
        `epoch ${lastV1Epoch} on v1 -> ${firstV2Epoch ?? 'none'} on v2). ` +
        `Overlapping batches of one migration: ${sizeFaults.overlaps + kindFaults.overlaps}; rows migrated twice: ` +
        `${sizeRows - ROWS + (kindRows - ROWS)}; epochs going back: ${sizeFaults.epochWentBack + kindFaults.epochWentBack}; v1 exits: ${v1Exits.join(', ')}`,
    );
    expect({ size: sizeFaults, kind: kindFaults }).toEqual({
      size: { overlaps: 0, epochWentBack: 0 },
      kind: { overlaps: 0, epochWentBack: 0 },
    });
    expect([sizeRows, kindRows]).toEqual([ROWS, ROWS]);
    if (firstV2Epoch !== undefined)
      expect(BigInt(firstV2Epoch)).toBeGreaterThan(BigInt(lastV1Epoch));
    expect(v1Exits.every((code) => code === 0 || code === 'SIGTERM')).toBe(true);
    await Promise.all([v2a, v2b].map((replica) => stopGracefully(replica.process)));
  });
});
