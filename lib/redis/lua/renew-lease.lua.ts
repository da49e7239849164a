/** Extends the lease if it is still ours. KEYS: lease. ARGV: token, ttl ms. Returns 1 or 0. */
export const RENEW_LEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
