import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Drops the expired replicas, then returns the live ones' snapshots.
 * KEYS: snapshots hash, expiry zset. Prelude: server clock (`now`).
 */
export const LIST_REPLICAS_LUA =
  SERVER_NOW_LUA +
  `local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #expired do redis.call('HDEL', KEYS[1], expired[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return redis.call('HVALS', KEYS[1])
`;
