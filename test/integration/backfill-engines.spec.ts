import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { PostgresCoordinator, RedisCoordinator } from '../../lib/coordination';
import { PeriodicRoutine, type Coordinator } from '../../lib/core';
import { connectRedis, deleteRedisKeys, dropSchema, postgresPool, unique } from './support';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;

/**
 * `backfill()` of times before the engine's memory (a new Redis prefix, new PostgreSQL
 * tables: the engine's first use looks like a loss), on the real servers. The ordinary fail
 * closed rule refuses scheduled slots due before then; an operator's backfill runs them, and
 * replicas backfilling together still run each once.
 */
describe.each(['redis', 'postgres'] as const)('backfill on a new %s', (engine) => {
  let redis: Redis | undefined;
  let pool: Pool | undefined;
  const keyPrefix = `${unique('backfill')}:`;
  const schema = unique('routines_backfill');

  beforeAll(async () => {
    if (engine === 'redis') redis = await connectRedis();
    else pool = postgresPool(6);
  });

  afterAll(async () => {
    if (redis) {
      await deleteRedisKeys(redis, keyPrefix);
      redis.disconnect();
    }
    if (pool) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  const coordinator = (): Coordinator =>
    engine === 'redis'
      ? new RedisCoordinator(redis!, { keyPrefix })
      : new PostgresCoordinator(pool!, { schema });

  it('runs the past times asked for, each once across two replicas, none reported as claimed elsewhere by mistake', async () => {
    const name = unique('report');
    const ran: number[] = [];
    const replica = () =>
      new PeriodicRoutine((_signal, ctx) => void ran.push(ctx.dueAt), {
        name,
        interval: '10m',
        scope: 'cluster',
        coordinator: coordinator(),
        logger: quiet,
      });
    const [a, b] = [replica(), replica()];
    const to = Math.floor(Date.now() / (10 * MINUTE)) * 10 * MINUTE - 10 * MINUTE;
    const range = { from: to - 50 * MINUTE, to };
    const [first, second] = await Promise.all([a.backfill(range), b.backfill(range)]);
    expect(first.dueTimes).toBe(6);
    expect(first.succeeded + second.succeeded).toBe(6);
    expect(first.claimedElsewhere + second.claimedElsewhere).toBe(6);
    expect([...ran].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 6 }, (_, i) => range.from + i * 10 * MINUTE),
    );
    // Asked again: every time is claimed (for a day), so nothing runs twice.
    const again = await a.backfill(range);
    expect(again).toMatchObject({ succeeded: 0, claimedElsewhere: 6 });
    expect(ran).toHaveLength(6);
  }, 30_000);
});
