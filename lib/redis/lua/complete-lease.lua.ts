/**
 * Records the completion and drops the lease, if it is still ours.
 * KEYS: lease, completion. ARGV: token, version. Returns 1 (recorded) or 0.
 */
export const COMPLETE_LEASE_LUA = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`;
