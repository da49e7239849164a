/**
 * Drops a routine's runs older than a time, then all but the newest `keep`. KEYS: the runs
 * zset. ARGV: before (ms since the epoch), keep.
 */
export const PRUNE_RUNS_LUA = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[2]) - 1)
return redis.call('ZCARD', KEYS[1])
`;
