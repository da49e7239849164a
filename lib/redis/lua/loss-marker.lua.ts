/**
 * Prelude (after `SERVER_NOW_LUA`, whose `now` it reads): defines
 * `checkMarker(markerKey, seen)`, which returns `since, last`.
 *
 * Every routine has a marker hash that never expires: `since` (when its state was last found
 * lost) and `last` (the server time of the latest call). A loss shows two ways: the marker is
 * missing (FLUSHALL, a restart without persistence; also the very first use), or `last` is
 * older than a time this caller already saw (`seen`: a restart from an older snapshot, a
 * failover to a replica that lagged: writes were lost, not all). Either way `since` becomes
 * now, and the caller fails closed from there (see the claim and acquire scripts). The script
 * returns `since` and `last` to the caller with its result.
 */
export const LOSS_MARKER_LUA = `local function checkMarker(markerKey, seen)
  local marker = redis.call('HMGET', markerKey, 'since', 'last')
  local since = tonumber(marker[1])
  local last = tonumber(marker[2]) or 0
  if not since or last < tonumber(seen) then
    since = now
    redis.call('HSET', markerKey, 'since', now)
  end
  if now > last then
    last = now
    redis.call('HSET', markerKey, 'last', now)
  end
  return since, last
end
`;
