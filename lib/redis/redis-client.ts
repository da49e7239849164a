/**
 * The members of an ioredis client that the Redis coordinator uses, described here so that the
 * package's type declarations never name `ioredis`: an app that does not use it compiles
 * without it installed (and without `skipLibCheck`). An ioredis `Redis` or `Cluster` fits
 * this shape; nothing else is supported (the constructor checks at run time).
 */

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
