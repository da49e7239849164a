import { LOSS_MARKER_LUA } from './loss-marker.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * The claims due at one instant, in one script (on a Cluster client, one claim per script,
 * since a script's keys must share a hash slot). Fails closed after a loss: a slot due before
 * the loss (plus the clock skew) may have been claimed and run already, so it is refused (-1),
 * unless it is a backfill's; otherwise SET NX PX (1 won, 0 lost).
 *
 * KEYS: slot, marker for each claim. ARGV: skew ms, then token, ttl ms, slot ms, last seen,
 * backfill ('1'/'0') for each claim. Returns result, since, last for each claim.
 * Preludes: server clock (`now`), loss marker (`checkMarker`).
 */
export const CLAIM_SLOTS_LUA =
  SERVER_NOW_LUA +
  LOSS_MARKER_LUA +
  `local skew = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local slotKey, markerKey, a = KEYS[2 * i - 1], KEYS[2 * i], 5 * i - 3
  local since, last = checkMarker(markerKey, ARGV[a + 3])
  local result = 0
  if tonumber(ARGV[a + 2]) <= since + skew and ARGV[a + 4] ~= '1' then
    result = -1
  elseif redis.call('SET', slotKey, ARGV[a], 'NX', 'PX', ARGV[a + 1]) then
    result = 1
  end
  out[3 * i - 2], out[3 * i - 1], out[3 * i] = result, since, last
end
return out
`;
