// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Redis } from 'ioredis';
import { newToken, type Coordinator, type Lease } from '../core/coordinator';

export interface RedisCoordinatorOptions {
  /**
   * Prepended to every key this coordinator writes (after the client's own `keyPrefix`, if
   * any). Default: 'routines:'.
   */
  keyPrefix?: string;
}

/**
 * Takes the lease if nobody holds it and bumps the routine's epoch. A missing epoch key (first
 * use, or a Redis that restarted empty) is seeded from the server's clock in milliseconds, so
 * the epoch still only grows across a data loss. KEYS: lease, epoch. ARGV: token, ttl ms.
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000)))
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return epoch
`;

/** Extends the lease if it is still ours. KEYS: lease. ARGV: token, ttl ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Drops the lease if it is still ours. KEYS: lease. ARGV: token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Names of the scripts on the client (ioredis' defineCommand): namespaced to stay clear of the app's own.
const ACQUIRE_COMMAND = 'nestjsRoutinesAcquireLease';
const RENEW_COMMAND = 'nestjsRoutinesRenewLease';
const RELEASE_COMMAND = 'nestjsRoutinesReleaseLease';

interface ScriptedClient {
  [ACQUIRE_COMMAND](
    leaseKey: string,
    epochKey: string,
    token: string,
    ttlMs: number,
  ): Promise<number | null>;
  [RENEW_COMMAND](leaseKey: string, token: string, ttlMs: number): Promise<number>;
  [RELEASE_COMMAND](leaseKey: string, token: string): Promise<number>;
}

/**
 * Cluster coordination on Redis through an ioredis client. Every call is one round trip and
 * one atomic operation on the Redis server's clock:
 *
 * - `claimSlot`: `SET <prefix>slot:<routine>:<slot> <token> NX PX <ttl>`;
 * - `acquireLease`: a Lua script that, when `<prefix>lease:<routine>` is absent, `INCR`s
 *   `<prefix>epoch:<routine>` (the fencing epoch) and sets the lease with `PX <ttl>`;
 * - `renewLease` / `releaseLease`: compare-and-set Lua scripts on the token (EVALSHA, which
 *   ioredis turns into EVAL the first time on each connection).
 *
 * Errors from Redis reject, and the runtime fails closed: a slot it could not claim is
 * skipped, a lease it could not renew is lost. Give the client `enableOfflineQueue: false`
 * (or a `commandTimeout`) so calls fail fast while Redis is down instead of queueing.
 *
 * The epoch lives in Redis, in a key without expiry: it only grows as long as Redis keeps
 * that key; a Redis that restarts empty seeds it again from its clock in milliseconds, above
 * every epoch handed out before, as long as the server's clock does not go back. Redis Cluster is not supported (a lease's two keys would have
 * to share a hash slot); pass a standalone or Sentinel client.
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false });
 * RoutinesModule.forRoot({ coordinator: new RedisCoordinator(redis) });
 */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly prefix: string;
  private readonly scripted: ScriptedClient;

  constructor(
    private readonly client: Redis,
    options: RedisCoordinatorOptions = {},
  ) {
    if (client === null || typeof client !== 'object' || typeof client.set !== 'function') {
      throw new TypeError('RedisCoordinator: expected an ioredis client');
    }
    const keyPrefix = options.keyPrefix ?? 'routines:';
    if (typeof keyPrefix !== 'string') {
      throw new TypeError('RedisCoordinator: keyPrefix must be a string');
    }
    this.prefix = keyPrefix;
    client.defineCommand(ACQUIRE_COMMAND, { numberOfKeys: 2, lua: ACQUIRE });
    client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW });
    client.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE });
    this.scripted = client as unknown as ScriptedClient;
  }

  async claimSlot(routine: string, slot: number, ttlMs: number): Promise<boolean> {
    const reply = await this.client.set(
      `${this.prefix}slot:${routine}:${slot}`,
      newToken(),
      'PX',
      milliseconds(ttlMs),
      'NX',
    );
    return reply === 'OK';
  }

  async acquireLease(routine: string, ttlMs: number): Promise<Lease | null> {
    const token = newToken();
    const epoch = await this.scripted[ACQUIRE_COMMAND](
      this.leaseKey(routine),
      `${this.prefix}epoch:${routine}`,
      token,
      milliseconds(ttlMs),
    );
    if (epoch === null || epoch === undefined) return null;
    return { routine, token, epoch: Number(epoch) };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const renewed = await this.scripted[RENEW_COMMAND](
      this.leaseKey(lease.routine),
      lease.token,
      milliseconds(ttlMs),
    );
    return Number(renewed) === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.scripted[RELEASE_COMMAND](this.leaseKey(lease.routine), lease.token);
  }

  private leaseKey(routine: string): string {
    return `${this.prefix}lease:${routine}`;
  }
}

/** A whole, positive number of milliseconds, as PX and PEXPIRE require. */
function milliseconds(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`invalid ttl: ${ttlMs} ms`);
  return Math.max(1, Math.ceil(ttlMs));
}
