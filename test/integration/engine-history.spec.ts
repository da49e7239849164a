import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { Periodic, RoutinesModule, RoutinesRegistry, type Coordinator } from '../../lib';
import { ManualClock } from '../../lib/core';
import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { HistoryWriter, PRUNE_CLAIM } from '../../lib/observability/history-writer';
import { CapturingLogger } from '../e2e/support/e2e';
import {
  connectRedis,
  DATABASE_URL,
  dropSchema,
  freePort,
  killAll,
  postgresPool,
  primePostgres,
  primeRedisEngine,
  primeRedisRoutine,
  sleep,
  TcpProxy,
  ThrowawayRedis,
  unique,
  waitFor,
  type Engine,
} from './support';

/**
 * The run history the engine keeps, with two replicas (two apps in this process, each with a
 * coordinator of its own on the same engine): each writes its runs, either reads both; the
 * engine goes away (Redis: a throwaway server killed, then started again empty; PostgreSQL: a
 * proxy closed and opened) and runs go on, the outage said once, the held runs sent once it is
 * back; pruning by age and count with a stepped wall clock.
 */
@Injectable()
class Jobs {
  @Periodic('1h', { name: 'report', runOnStart: false })
  report(): void {}
}

/** One engine the tests can take away and bring back, and coordinators on it. */
interface Harness {
  coordinator(): Promise<Coordinator>;
  /** Makes the engine look long in use, so that the prune period's claim is not held back. */
  prime(): Promise<void>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function redisHarness(): Promise<Harness> {
  const server = new ThrowawayRedis(await freePort());
  await server.start();
  const keyPrefix = `${unique('hist')}:`;
  const clients: Redis[] = [];
  return {
    async coordinator() {
      const client = await connectRedis(server.url);
      clients.push(client);
      return new RedisCoordinator(client, { keyPrefix });
    },
    async prime() {
      const client = await connectRedis(server.url);
      clients.push(client);
      await primeRedisEngine(client, keyPrefix);
      await primeRedisRoutine(client, keyPrefix, PRUNE_CLAIM);
    },
    down: () => server.stop(),
    up: () => server.start(),
    async close() {
      for (const client of clients) client.disconnect();
      await server.stop();
    },
  };
}

async function postgresHarness(): Promise<Harness> {
  const target = new URL(DATABASE_URL);
  const proxy = new TcpProxy(await freePort(), {
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  await proxy.start();
  const url = new URL(DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const schema = unique('routines_hist');
  const pools: Pool[] = [];
  const { Pool: PgPool } = await import('pg');
  return {
    async coordinator() {
      const pool = new PgPool({
        connectionString: url.toString(),
        max: 4,
        connectionTimeoutMillis: 2000,
      });
      pool.on('error', () => undefined);
      pools.push(pool);
      const coordinator = new PostgresCoordinator(pool, { schema });
      await coordinator.ensureTables();
      return coordinator;
    },
    async prime() {
      const direct = postgresPool(1);
      await primePostgres(direct, new PostgresCoordinator(direct, { schema }), schema);
      await direct.end();
    },
    down: () => proxy.stop(),
    up: () => proxy.start(),
    async close() {
      await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
      await proxy.stop();
      const direct = postgresPool(1);
      await dropSchema(direct, schema);
      await direct.end();
    },
  };
}

const HARNESSES: ReadonlyArray<[Engine, () => Promise<Harness>]> = [
  ['redis', redisHarness],
  ['postgres', postgresHarness],
];

async function replica(
  coordinator: Coordinator,
  logger: CapturingLogger,
): Promise<INestApplicationContext> {
  @Module({ imports: [RoutinesModule.forRoot({ coordinator })], providers: [Jobs] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger, abortOnError: false });
}

afterAll(() => killAll());

describe.each(HARNESSES)('run history on %s', (_engine, setup) => {
  let harness: Harness | undefined;
  const apps: INestApplicationContext[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await harness?.close();
    harness = undefined;
  });

  it('keeps the runs of both replicas, goes on through an outage said once, and sends the held runs after it', async () => {
    harness = await setup();
    const logger = new CapturingLogger();
    const a = await replica(await harness.coordinator(), logger);
    apps.push(a);
    const bootedAt = Date.now();
    await waitFor('another millisecond: another replica id', () => Date.now() > bootedAt, 1_000);
    const b = await replica(await harness.coordinator(), logger);
    apps.push(b);
    const [ra, rb] = [a.get(RoutinesRegistry), b.get(RoutinesRegistry)];
    const idA = ra.runtime!.replica!.id;
    await ra.trigger('report');
    await rb.trigger('report');
    await rb.trigger('report');
    // B's runs reach the engine within its flush period; A reads both.
    const both = await waitFor(
      "both replicas' runs",
      async () => {
        const runs = await ra.history('report', { from: 0 });
        return runs.length === 3 && runs;
      },
      10_000,
      100,
    );
    expect(new Set(both.map((run) => run.replica))).toEqual(
      new Set([idA, rb.runtime!.replica!.id]),
    );
    expect(await rb.history('report', { from: 0, replica: idA })).toHaveLength(1);
    const hours = await ra.runStats('report', { by: 'hour' });
    expect(hours.reduce((sum, bucket) => sum + bucket.runs, 0)).toBe(3);

    await harness.down();
    const downAt = Date.now();
    for (let i = 0; i < 3; i++) {
      expect((await ra.trigger('report')).status).toBe('succeeded');
    }
    // Long enough for a few flushes to fail (one a second): still one line.
    await sleep(3_000);
    const failed = () =>
      logger.entries.filter(
        (entry) => entry.level === 'warn' && entry.message.includes('failed (history)'),
      );
    expect(failed()).toHaveLength(1);

    await harness.up();
    const held = await waitFor(
      'the runs held through the outage',
      async () => {
        const runs = await ra.history('report', { from: downAt, replica: idA }).catch(() => []);
        return runs.length === 3 && runs;
      },
      15_000,
      200,
    );
    expect(held.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(failed()).toHaveLength(1);
    expect(logger.entries.some((entry) => entry.message.includes('answers again'))).toBe(true);
  }, 60_000);

  it('prunes by age and by count once per period, with a stepped wall clock, and keeps the stats', async () => {
    harness = await setup();
    const coordinator = await harness.coordinator();
    await harness.prime();
    const clock = new ManualClock(Date.now());
    const logger = new CapturingLogger();
    const writer = new HistoryWriter(coordinator, coordinator.history!, 'r1', clock, logger, {
      flushEveryMs: 1_000,
      batchSize: 100,
      maxBuffered: 1_000,
      keepForMs: 7 * 86_400_000,
      keepRuns: 3,
      keepHoursForMs: 7 * 86_400_000,
      keepDaysForMs: 90 * 86_400_000,
      pruneEveryMs: 60_000,
      callTimeoutMs: 5_000,
    });
    const routine = unique('pruned');
    const push = (i: number) => {
      const at = clock.wallNow() + i;
      writer.push({
        routine,
        replica: 'r1',
        at,
        status: 'succeeded',
        dueAt: at,
        id: i,
        durationMs: 1,
      });
    };
    for (let i = 0; i < 2; i++) push(i);
    await writer.flush();
    const store = coordinator.history!;
    expect(await store.read(routine, { limit: 10 })).toHaveLength(2);
    // Eight days later (the wall clock stepped), two more runs: the first two are past keepFor.
    clock.stepWall(8 * 86_400_000);
    for (let i = 0; i < 2; i++) push(i);
    await writer.flush();
    expect((await store.read(routine, { limit: 10 })).map((run) => run.id)).toEqual([1, 0]);
    // Within the same prune period, more runs than keepRuns stay until the next period
    // (Redis trims on append: it keeps 3 at once).
    for (let i = 2; i < 6; i++) push(i);
    await writer.flush();
    clock.stepWall(60_000);
    push(6);
    await writer.flush();
    expect((await store.read(routine, { limit: 10 })).map((run) => run.id)).toEqual([6, 5, 4]);
    const from = clock.wallNow() - 10 * 86_400_000;
    const day = await store.stats(routine, { by: 'day', from, to: clock.wallNow() });
    expect(day.reduce((sum, bucket) => sum + bucket.runs, 0)).toBe(9);
    await writer.close(1_000);
  }, 60_000);
});
