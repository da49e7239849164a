/**
 * A routine's runs, newest first: members scored in [min, max], of one replica if asked, at
 * most `limit`. Members are `<replica>\n<json>`: the replica is matched without decoding.
 * KEYS: the runs zset. ARGV: max, min (scores, or '+inf' / '-inf'), limit, replica ('' for all).
 */
export const READ_RUNS_LUA = `local limit = tonumber(ARGV[3])
local replica = ARGV[4]
if replica == '' then
  return redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, limit)
end
local prefix = replica .. '\\n'
local found = {}
local offset = 0
local page = 500
while #found < limit do
  local members = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', offset, page)
  for _, member in ipairs(members) do
    if string.sub(member, 1, #prefix) == prefix then
      found[#found + 1] = member
      if #found >= limit then break end
    end
  end
  if #members < page then break end
  offset = offset + page
end
return found
`;
