import { LOSS_MARKER_LUA } from './loss-marker.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Takes the lease if nobody holds it, the routine has not completed under this version, and
 * no lease issued before a loss could still be held (the marker is older than a ttl). The
 * epoch is the larger of the stored one plus one and the server's time in microseconds, at
 * every acquire: above every epoch issued before, even when Redis lost the stored one or
 * came back with an older one. A routine new to an engine that has its mark is no loss (see
 * the loss marker).
 *
 * KEYS: lease, marker, epoch, completion, the engine's mark (on a Cluster, the marker again:
 * unused). ARGV: token, ttl ms, version, last seen, whether KEYS[5] is the engine's mark
 * ('1'/'0'). Returns {1, epoch, last}, {0, 0, last} (held), {-1, since, last, kind} (held back
 * after a loss; kind as the loss marker's), {-2} (completed).
 * Preludes: server clock (`now`, `micros`), loss marker (`checkMarker`).
 */
export const ACQUIRE_LEASE_LUA =
  SERVER_NOW_LUA +
  LOSS_MARKER_LUA +
  `if redis.call('GET', KEYS[4]) == ARGV[3] then return {-2} end
local since, last, kind = checkMarker(KEYS[2], ARGV[5] == '1' and KEYS[5], ARGV[4])
if now < since + tonumber(ARGV[2]) then return {-1, since, last, kind} end
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0, last} end
local epoch = math.max(tonumber(redis.call('GET', KEYS[3]) or '0') + 1, micros)
redis.call('SET', KEYS[3], string.format('%d', epoch))
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, epoch, last}
`;
