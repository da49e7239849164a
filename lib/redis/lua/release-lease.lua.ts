/**
 * Drops the lease (or a slot's claim) if it is still ours. KEYS: lease. ARGV: token.
 * Returns 1 (dropped) or 0.
 */
export const RELEASE_LEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
