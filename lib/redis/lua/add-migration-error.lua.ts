import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Adds an error (message, server time) to a migration's, newest first, and drops those
 * beyond the kept ones. KEYS: the migration's errors list. ARGV: message, errors kept.
 * Returns 1. Prelude: server clock (`now`).
 */
export const ADD_MIGRATION_ERROR_LUA =
  SERVER_NOW_LUA +
  `redis.call('LPUSH', KEYS[1], cjson.encode({ message = ARGV[1], at = now }))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return 1
`;
