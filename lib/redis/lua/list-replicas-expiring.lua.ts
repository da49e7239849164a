import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Drops the expired replicas, then returns the live ones' snapshots, each followed by the ms it
 * has left: `[snapshot, expiresInMs, snapshot, expiresInMs, ...]`.
 * KEYS: snapshots hash, expiry zset. Prelude: server clock (`now`).
 */
export const LIST_REPLICAS_EXPIRING_LUA =
  SERVER_NOW_LUA +
  `local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #expired do redis.call('HDEL', KEYS[1], expired[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local live = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
local listed = {}
for i = 1, #live, 2 do
  local snapshot = redis.call('HGET', KEYS[1], live[i])
  if snapshot then
    listed[#listed + 1] = snapshot
    listed[#listed + 1] = tostring(tonumber(live[i + 1]) - now)
  end
end
return listed
`;
