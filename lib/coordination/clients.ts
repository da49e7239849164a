/**
 * The members of the engines' clients that the coordinators use, described here so that the
 * package's type declarations never name `pg` or `ioredis`: an app that uses neither compiles
 * without them installed (and without `skipLibCheck`). A `pg.Pool` and an ioredis `Redis` or
 * `Cluster` fit these shapes; nothing else is supported (the constructors check at run time).
 */

/**
 * A `pg.Pool`: `new Pool({ connectionString })` from `pg`.
 *
 * @example
 * import { Pool } from 'pg';
 * new PostgresCoordinator(new Pool({ connectionString: process.env.DATABASE_URL }));
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<unknown>;
  /** A pool has these counters; a single `pg.Client` (refused) does not. */
  readonly totalCount: number;
  readonly idleCount: number;
  on(event: 'error', listener: (error: Error, ...rest: never[]) => void): unknown;
  listenerCount(event: 'error'): number;
}

/**
 * An ioredis client: `new Redis(url)` (standalone or Sentinel) or `new Cluster(nodes)`.
 *
 * @example
 * import { Redis } from 'ioredis';
 * new RedisCoordinator(new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false }));
 */
export interface RedisClient {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  set(key: string, value: string, ...args: never[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  evalsha(sha: string, numberOfKeys: number, ...args: never[]): Promise<unknown>;
}
