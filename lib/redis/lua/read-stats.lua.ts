/** Every stats bucket hash given (missing ones as empty lists). KEYS: the bucket hashes. */
export const READ_STATS_LUA = `local buckets = {}
for i = 1, #KEYS do buckets[i] = redis.call('HGETALL', KEYS[i]) end
return buckets
`;
