/**
 * Adds an audit entry at the head of the capped list and drops what falls past the bound, in
 * one step. KEYS: audit list. ARGV: entry (JSON), how many entries are kept.
 */
export const APPEND_AUDIT_LUA = `
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1`;
