/**
 * First use is not a loss (issue 25). A routine new to an engine in use gets its first slot
 * and its lease at once, and nothing is logged. An engine that holds no state of ours at all
 * (new, or emptied: nothing in it tells which) still fails closed for the slots due before it
 * was found so, but says it in one info line for the whole engine, not a warning per routine.
 * On the shared servers, each case under a key prefix or schema of its own.
 */
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import {
  PeriodicRoutine,
  SupervisedRoutine,
  type Coordinator,
  type Lease,
  type RoutineLogger,
} from '../../lib/core';
import { PostgresCoordinator } from '../../lib/postgres';
import { CoordinatorStateLostError, RedisCoordinator } from '../../lib/redis';
import {
  connectRedis,
  deleteRedisKeys,
  dropSchema,
  postgresPool,
  primePostgres,
  primeRedisEngine,
  sleep,
  unique,
  waitFor,
  type Engine,
} from './support';

const pace = (engine: Engine): number => (engine === 'postgres' ? 1000 : 200);

const EMPTY = /holds no routines state \(new, or emptied\)/;

interface Lines extends RoutineLogger {
  info: string[];
  warnings: string[];
}

function lines(): Lines {
  const info: string[] = [];
  const warnings: string[] = [];
  return {
    info,
    warnings,
    log: (message: string) => void info.push(String(message)),
    warn: (message: string) => void warnings.push(String(message)),
    error: (message: string) => void warnings.push(String(message)),
  };
}

/**
 * Three cluster periodic routines and a cluster background routine, on one engine. At 200 ms
 * by default; slower on PostgreSQL, whose first claim creates the tables, within the claim
 * window (half the interval) on a busy machine too.
 */
function routinesOn(coordinator: Coordinator, logger: Lines, tag: string, interval = 200) {
  const runs = new Map<string, number>();
  const periodic = ['a', 'b', 'c'].map(
    (name) =>
      new PeriodicRoutine(() => void runs.set(name, (runs.get(name) ?? 0) + 1), {
        name: `${tag}-${name}`,
        interval,
        scope: 'cluster',
        coordinator,
        logger,
      }),
  );
  let held = false;
  const background = new SupervisedRoutine(
    (signal) => {
      held = true;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
    {
      name: `${tag}-holder`,
      scope: 'cluster',
      coordinator,
      logger,
      lease: { ttl: '1s', retryEvery: '100ms' },
    },
  );
  return {
    start() {
      for (const routine of periodic) routine.start();
      background.start();
    },
    /** Every periodic routine ran twice, and the background one holds its lease. */
    async running() {
      await waitFor(
        'every routine to run',
        () => held && ['a', 'b', 'c'].every((name) => (runs.get(name) ?? 0) >= 2),
        10_000,
      );
    },
    skipped: () => periodic.reduce((sum, routine) => sum + routine.info().counters.skipped, 0),
    firstSkipped: () => periodic.map((routine) => routine.info().counters.skipped),
    stop: () => Promise.all([...periodic.map((routine) => routine.stop()), background.stop()]),
  };
}

/** FLUSHALL for one key prefix: every key under it deleted by one command (atomic, as FLUSHALL). */
async function emptyPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length > 0) await redis.del(...keys);
}

describe('first use of an engine', () => {
  let redis: Redis;
  let pool: Pool;
  const prefixes: string[] = [];
  const schemas: string[] = [];

  beforeAll(async () => {
    redis = await connectRedis();
    pool = postgresPool(4);
  });

  afterAll(async () => {
    for (const prefix of prefixes) await deleteRedisKeys(redis, prefix);
    for (const schema of schemas) await dropSchema(pool, schema);
    redis.disconnect();
    await pool.end();
  });

  /** A coordinator on an engine of its own, that holds nothing yet. */
  function newEngine(engine: Engine): {
    coordinator: Coordinator;
    prime(): Promise<void>;
    /** Where its state is: the key prefix or the schema. */
    at: string;
  } {
    if (engine === 'redis') {
      const keyPrefix = `${unique('first')}:`;
      prefixes.push(keyPrefix);
      return {
        coordinator: new RedisCoordinator(redis, { keyPrefix, maxClockSkew: '300ms' }),
        prime: () => primeRedisEngine(redis, keyPrefix),
        at: keyPrefix,
      };
    }
    const schema = unique('routines_first');
    schemas.push(schema);
    // A skew over the interval: the first slot, the next grid point, is always refused.
    const coordinator = new PostgresCoordinator(pool, { schema, maxClockSkew: '1500ms' });
    return { coordinator, prime: () => primePostgres(pool, coordinator, schema), at: schema };
  }

  describe.each<Engine>(['redis', 'postgres'])('%s', (engine) => {
    it('a routine new to an engine in use runs its first slot and takes its lease at once, and nothing is said', async () => {
      const { coordinator, prime } = newEngine(engine);
      await prime();
      const logger = lines();
      const routines = routinesOn(coordinator, logger, unique('new'), pace(engine));
      try {
        routines.start();
        await routines.running();
        expect(routines.firstSkipped()).toEqual([0, 0, 0]);
        expect(logger.info.filter((line) => EMPTY.test(line))).toEqual([]);
        expect(logger.warnings).toEqual([]);
      } finally {
        await routines.stop();
      }
    }, 20_000);

    it('a new engine: the slots due before it was found empty are not claimed, said in one info line for all its routines, no warning; later slots run', async () => {
      const { coordinator } = newEngine(engine);
      const logger = lines();
      const routines = routinesOn(coordinator, logger, unique('fresh'), pace(engine));
      try {
        routines.start();
        await routines.running();
        expect(routines.skipped()).toBeGreaterThanOrEqual(1); // fail closed: at least the first
        const said = logger.info.filter((line) => EMPTY.test(line));
        expect(said).toHaveLength(1);
        expect(said[0]).toMatch(
          engine === 'redis'
            ? /^Redis at [^ ]+ \(key prefix '[^']+'\) holds no routines state \(new, or emptied\) at \S+: slots due before \S+ are not claimed/
            : /^PostgreSQL \(schema "[^"]+"\) holds no routines state \(new, or emptied\) at \S+: slots due before \S+ are not claimed/,
        );
        expect(logger.warnings).toEqual([]);
        process.stdout.write(`[first use, ${engine}] ${said[0]}\n`);
      } finally {
        await routines.stop();
      }
    }, 20_000);
  });

  it('an emptied Redis met by a process that never saw it: the same one info line, no warning', async () => {
    const { coordinator, prime, at: keyPrefix } = newEngine('redis');
    await prime();
    const tag = unique('emptied');
    const before = routinesOn(coordinator, lines(), tag);
    try {
      before.start();
      await before.running();
    } finally {
      await before.stop();
    }
    await emptyPrefix(redis, keyPrefix);
    // A new process (a coordinator of its own: nothing seen) with the same routines.
    const fresh = new RedisCoordinator(redis, { keyPrefix, maxClockSkew: '300ms' });
    const logger = lines();
    const after = routinesOn(fresh, logger, tag);
    try {
      after.start();
      await after.running();
      expect(logger.info.filter((line) => EMPTY.test(line))).toHaveLength(1);
      expect(logger.warnings).toEqual([]);
    } finally {
      await after.stop();
    }
  }, 20_000);

  it('an emptied Redis met by the process that used it: a loss it saw, one warning for all its routines', async () => {
    const { coordinator, prime, at: keyPrefix } = newEngine('redis');
    await prime();
    const logger = lines();
    const routines = routinesOn(coordinator, logger, unique('used'));
    try {
      routines.start();
      await routines.running();
      const skippedBefore = routines.skipped();
      await emptyPrefix(redis, keyPrefix);
      const emptiedAt = Date.now();
      await waitFor('runs after the loss', () => routines.skipped() > skippedBefore, 5_000);
      await sleep(emptiedAt + 1500 - Date.now());
      await routines.running();
      const lost = logger.warnings.filter((line) => /lost its state/.test(line));
      expect(lost).toHaveLength(1);
      // Besides: the holder's lease went with the keys (its loss is its own line).
      expect(logger.warnings.filter((line) => !/lost its cluster lease/.test(line))).toEqual(lost);
      expect(logger.info.filter((line) => EMPTY.test(line))).toEqual([]);
    } finally {
      await routines.stop();
    }
  }, 20_000);

  it('PostgreSQL: a lease holder that saw the since row move on warns of a loss; a process new to the tables says the first-use line', async () => {
    const { coordinator, prime, at: schema } = newEngine('postgres');
    await prime();
    const pg = coordinator as PostgresCoordinator;
    const lease = (await pg.acquireLease('bg', 60_000)) as Lease;
    await pg.releaseLease(lease);
    await pool.query(`TRUNCATE "${schema}".routines_leases_since`); // a loss, as a restore without it
    const saw = await pg.acquireLease('bg', 60_000).catch((error: unknown) => error);
    expect(saw).toBeInstanceOf(CoordinatorStateLostError);
    expect((saw as CoordinatorStateLostError).notice).toBeUndefined();
    expect((saw as Error).message).toMatch(/^postgres lost its state for 'bg'/);
    const fresh = new PostgresCoordinator(pool, { schema });
    const met = await fresh.acquireLease('bg', 60_000).catch((error: unknown) => error);
    expect(met).toBeInstanceOf(CoordinatorStateLostError);
    expect((met as CoordinatorStateLostError).notice).toMatch(EMPTY);
  });

  it('a routine taken for new after a loss, by a process that never saw it, is still a loss to one that saw it', async () => {
    const { prime, at: keyPrefix } = newEngine('redis');
    await prime();
    const routine = unique('masked');
    const saw = new RedisCoordinator(redis, { keyPrefix, maxClockSkew: '0ms' });
    const slot = Date.now() - 1000;
    expect(await saw.claimSlot(routine, slot, 60_000)).toBe(true);
    // Its keys are lost (a restart from a snapshot taken before it was first used); the
    // engine's mark is not.
    for (const key of await redis.keys(`${keyPrefix}{${routine}}:*`)) await redis.del(key);
    // A process that never saw it calls first: for it, the routine is new.
    const fresh = new RedisCoordinator(redis, { keyPrefix, maxClockSkew: '0ms' });
    expect(await fresh.claimSlot(routine, Date.now() + 60_000, 60_000)).toBe(true);
    // The process that saw it still knows the slot may have run: refused, as after a loss.
    await expect(saw.claimSlot(routine, slot, 60_000)).rejects.toThrow(/lost its state/);
    await expect(fresh.claimSlot(routine, slot, 60_000)).rejects.toThrow(/lost its state/);
  });
});
