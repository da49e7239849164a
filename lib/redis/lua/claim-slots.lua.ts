import { LOSS_MARKER_LUA } from './loss-marker.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * The claims due at one instant, in one script (on a Cluster client, one claim per script,
 * since a script's keys must share a hash slot). Fails closed after a loss: a slot due before
 * the loss (plus the clock skew) may have been claimed and run already, so it is refused (-1),
 * unless it is a backfill's; otherwise SET NX PX (1 won, 0 lost). A routine new to an engine
 * that has its mark is no loss (see the loss marker).
 *
 * KEYS: the engine's mark (on a Cluster, any key of the claim's routine: unused), then slot,
 * marker for each claim. ARGV: skew ms, whether KEYS[1] is the engine's mark ('1'/'0'), then
 * token, ttl ms, slot ms, last seen, backfill ('1'/'0') for each claim.
 * Returns result, since, last, kind (see the loss marker) for each claim.
 * Preludes: server clock (`now`), loss marker (`checkMarker`).
 */
export const CLAIM_SLOTS_LUA =
  SERVER_NOW_LUA +
  LOSS_MARKER_LUA +
  `local skew = tonumber(ARGV[1])
local engineKey = ARGV[2] == '1' and KEYS[1]
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local slotKey, markerKey, a = KEYS[2 * i], KEYS[2 * i + 1], 5 * i - 2
  local since, last, kind = checkMarker(markerKey, engineKey, ARGV[a + 3])
  local result = 0
  if tonumber(ARGV[a + 2]) <= since + skew and ARGV[a + 4] ~= '1' then
    result = -1
  elseif redis.call('SET', slotKey, ARGV[a], 'NX', 'PX', ARGV[a + 1]) then
    result = 1
  end
  out[4 * i - 3], out[4 * i - 2], out[4 * i - 1], out[4 * i] = result, since, last, kind
end
return out
`;
