import type { Coordinator, MigrationStateStore } from '../../../lib/core';
import { InMemoryCoordinator } from '../../../lib/core';
import { InMemoryMigrationStore } from '../../../lib/migrations';
import { PostgresCoordinator } from '../../../lib/postgres';
import { RedisCoordinator } from '../../../lib/redis';
import {
  connectRedis,
  deleteRedisKeys,
  dropSchema,
  postgresPool,
  primePostgres,
  primeRedisEngine,
  primeRedisRoutine,
  unique,
} from '../support';
import type { PortHarness } from './port-harness';

/**
 * One engine under test. `coordinator()` may be called several times: every coordinator it
 * returns shares the same state (the same server, key prefix or schema), as replicas do.
 */
export interface EngineHarness {
  coordinator(): Coordinator;
  /**
   * The engine's migration state. The in-memory coordinator keeps none: with it the
   * migrations keep theirs in the process (`InMemoryMigrationStore`), which is what runs here.
   */
  migrations(): MigrationStateStore;
  prime?(routine: string): Promise<void>;
  /** Makes the engine look long in use, no routine primed (see `PortHarness.primeEngine`). */
  primeEngine?(): Promise<void>;
  close?(): Promise<void>;
}

/** The three engines, by the name of their coordinator; each call sets up an engine of its own. */
export const ENGINES: ReadonlyArray<readonly [string, () => Promise<EngineHarness>]> = [
  ['InMemoryCoordinator', memoryEngine],
  ['RedisCoordinator', redisEngine],
  ['PostgresCoordinator', postgresEngine],
];

async function memoryEngine(): Promise<EngineHarness> {
  const shared = new InMemoryCoordinator();
  const migrations = new InMemoryMigrationStore();
  return { coordinator: () => shared, migrations: () => migrations };
}

async function redisEngine(): Promise<EngineHarness> {
  const client = await connectRedis();
  const keyPrefix = `${unique('it')}:`;
  const coordinator = () => new RedisCoordinator(client, { keyPrefix });
  return {
    coordinator,
    migrations: () => coordinator().migrations,
    prime: (routine) => primeRedisRoutine(client, keyPrefix, routine),
    primeEngine: () => primeRedisEngine(client, keyPrefix),
    close: async () => {
      await deleteRedisKeys(client, keyPrefix);
      client.disconnect();
    },
  };
}

async function postgresEngine(): Promise<EngineHarness> {
  const pool = postgresPool(12);
  const schema = unique('routines_it');
  await primePostgres(pool, new PostgresCoordinator(pool, { schema }), schema);
  const coordinator = () => new PostgresCoordinator(pool, { schema });
  return {
    coordinator,
    migrations: () => coordinator().migrations,
    close: async () => {
      await dropSchema(pool, schema);
      await pool.end();
    },
  };
}

/**
 * One port of an engine, for a port's contract: `pick` finds it on the engine (a coordinator
 * that lacks it fails the contract).
 */
export function portOf<Port>(
  setup: () => Promise<EngineHarness>,
  pick: (engine: EngineHarness) => Port | undefined,
): () => Promise<PortHarness<Port>> {
  return async () => {
    const engine = await setup();
    return {
      port: () => {
        const port = pick(engine);
        if (port === undefined) throw new Error('the engine does not implement this port');
        return port;
      },
      prime: engine.prime?.bind(engine),
      primeEngine: engine.primeEngine?.bind(engine),
      close: engine.close?.bind(engine),
    };
  };
}
