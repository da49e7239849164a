/**
 * Appends one routine's runs to its history and counts them in their stats buckets, atomically.
 * KEYS: the runs zset, then each stats bucket hash the batch touches. ARGV: keepRuns (0: no
 * trim), the number of bucket keys k, each bucket's expiry (ms since the epoch, k values),
 * then per run six values: at, member, status, duration ('' when none), the index in KEYS of
 * its hourly bucket and of its daily one. A member already kept (a batch sent again after a
 * timeout that landed) is neither kept nor counted again (`ZADD NX` answers 0).
 */
export const APPEND_RUNS_LUA = `local runs = KEYS[1]
local keep = tonumber(ARGV[1])
local k = tonumber(ARGV[2])
local function count(key, status, duration)
  redis.call('HINCRBY', key, status, 1)
  if status == 'skipped' then return end
  redis.call('HINCRBY', key, 'runs', 1)
  if duration == '' then return end
  local ms = tonumber(duration)
  redis.call('HINCRBY', key, 'timed', 1)
  redis.call('HINCRBYFLOAT', key, 'total', duration)
  local min = tonumber(redis.call('HGET', key, 'min'))
  if min == nil or ms < min then redis.call('HSET', key, 'min', duration) end
  local max = tonumber(redis.call('HGET', key, 'max'))
  if max == nil or ms > max then redis.call('HSET', key, 'max', duration) end
end
local i = 3 + k
while i <= #ARGV do
  if redis.call('ZADD', runs, 'NX', ARGV[i], ARGV[i + 1]) == 1 then
    count(KEYS[tonumber(ARGV[i + 4])], ARGV[i + 2], ARGV[i + 3])
    count(KEYS[tonumber(ARGV[i + 5])], ARGV[i + 2], ARGV[i + 3])
  end
  i = i + 6
end
for j = 1, k do redis.call('PEXPIREAT', KEYS[j + 1], ARGV[2 + j]) end
if keep > 0 then redis.call('ZREMRANGEBYRANK', runs, 0, -keep - 1) end
return 1
`;
