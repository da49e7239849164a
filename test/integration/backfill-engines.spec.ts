import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, type Coordinator } from '../../lib/core';
import { unique, useSharedEngines } from './support';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;

/**
 * `backfill()` of times before the engine's memory (a new Redis prefix, new PostgreSQL
 * tables: the engine's first use looks like a loss), on the real servers. The ordinary fail
 * closed rule refuses scheduled slots due before then; an operator's backfill runs them, and
 * replicas backfilling together still run each once.
 */
describe.each(['redis', 'postgres'] as const)('backfill on a new %s', (engine) => {
  const shared = useSharedEngines();
  const coordinator = (): Coordinator =>
    engine === 'redis'
      ? new RedisCoordinator(shared.redis, { keyPrefix: shared.keyPrefix })
      : new PostgresCoordinator(shared.pool, { schema: shared.schema });

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
    expect(first.claimFailed + second.claimFailed).toBe(0);
    expect([...ran].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 6 }, (_, i) => range.from + i * 10 * MINUTE),
    );
    // Asked again: every time is claimed (for a day), so nothing runs twice.
    const again = await a.backfill(range);
    expect(again).toMatchObject({ succeeded: 0, claimedElsewhere: 6 });
    expect(ran).toHaveLength(6);
  }, 30_000);
});
