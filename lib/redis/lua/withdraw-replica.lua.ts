/** Drops a replica's snapshot. KEYS: snapshots hash, expiry zset. ARGV: id. Returns 1. */
export const WITHDRAW_REPLICA_LUA = `redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;
