import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Publishes (or refreshes) a replica's snapshot until its ttl passes, on the server's clock.
 * KEYS: snapshots hash, expiry zset. ARGV: id, snapshot, ttl ms. Returns 1.
 * Prelude: server clock (`now`).
 */
export const PUBLISH_REPLICA_LUA =
  SERVER_NOW_LUA +
  `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`;
