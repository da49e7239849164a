import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Registers an out-of-band migration, or updates the description and flag of a known one.
 * KEYS: state hash. ARGV: id, description, non-destructive ('1' or '0'). Returns 1.
 * Prelude: server clock (`now`).
 */
export const REGISTER_MIGRATION_LUA =
  SERVER_NOW_LUA +
  `local raw = redis.call('HGET', KEYS[1], ARGV[1])
local m
if raw then
  m = cjson.decode(raw)
else
  m = { progress = 0, reverse = false, createdAt = now, samples = {} }
end
m.description = ARGV[2]
m.nonDestructive = ARGV[3] == '1'
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;
