/**
 * Sets a migration's direction; a new direction starts a new rate (the samples are dropped).
 * KEYS: state hash. ARGV: id, reverse ('1' or '0'). Returns 1, or 0 when unknown.
 */
export const SET_MIGRATION_DIRECTION_LUA = `local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local m = cjson.decode(raw)
local reverse = ARGV[2] == '1'
if m.reverse ~= reverse then
  m.reverse = reverse
  m.samples = {}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;
