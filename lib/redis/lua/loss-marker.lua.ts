/**
 * Prelude (after `SERVER_NOW_LUA`, whose `now` it reads): defines
 * `checkMarker(markerKey, engineKey, seen)`, which returns `since, last, kind`.
 *
 * The engine has a mark that never expires (`engineKey`, `<prefix>~engine`): the server time
 * from which its state is known whole. Every routine has a marker hash that never expires:
 * `since` (from when its state is known whole: never before the engine's mark), `last` (the
 * server time of the latest call), `lost` ('1' once a process saw its state lost: its refusals are
 * a loss's, for every process) and, for a routine taken for new, `created` (when).
 *
 * - No engine mark: the engine holds no state of ours at all. It is new, or it was emptied
 *   (FLUSHALL, a restart without persistence): nothing in it tells which, so both are taken as
 *   a loss found now (the mark is written with now), and the caller fails closed from there.
 * - A routine with no marker on an engine that has its mark, called by a process that never
 *   saw the routine: a routine new to the engine. Its state dates from the engine's mark, so
 *   its first slot runs (unless the engine itself is that young).
 * - A loss this process saw: the marker is missing although this process saw it before
 *   (`seen` > 0), or `last` is older than a time it saw (a restart from an older snapshot, a
 *   failover to a replica that lagged: writes were lost, not all), or the routine was taken
 *   for new after a time it saw (`created`: a process that never saw it met its marker
 *   missing after the loss, first; `created` is then dropped, so the loss is noted once).
 *   `since` becomes the time of the loss: the engine's mark if the engine was emptied after
 *   `seen`, else now.
 * - A routine marker on an engine without its mark (markers written before the engine had
 *   one): the mark is written with the marker's `since`.
 *
 * `kind` says what a refusal from `since` would be: 1, a loss of this routine's state (seen by
 * a process: `lost`, or noted after the engine's mark); 2, the engine holding no state
 * from before `since` (new or emptied: it cannot tell). On a Redis Cluster there is no engine
 * mark (`engineKey` is false: one node can lose its keys alone, and a script reaches one hash
 * slot): a missing marker is a loss found now, kind 1, as it always was.
 */
export const LOSS_MARKER_LUA = `local function checkMarker(markerKey, engineKey, seen)
  seen = tonumber(seen)
  local marker = redis.call('HMGET', markerKey, 'since', 'last', 'created', 'lost')
  local since = tonumber(marker[1])
  local last = tonumber(marker[2]) or 0
  local created = tonumber(marker[3]) or 0
  local lost = marker[4] == '1'
  local born = nil
  if engineKey then born = tonumber(redis.call('GET', engineKey)) end
  local witnessed = false
  if not since then
    if not engineKey then
      since, witnessed = now, true
    elseif not born then
      born, since, witnessed = now, now, seen > 0
      redis.call('SET', engineKey, now)
    elseif seen > 0 then
      witnessed = true
      if born > seen then since = born else since = now end
    else
      since = born
      redis.call('HSET', markerKey, 'created', now)
    end
    redis.call('HSET', markerKey, 'since', since)
  elseif last < seen or (seen > 0 and created > seen) then
    since, witnessed = now, true
    redis.call('HSET', markerKey, 'since', now)
    redis.call('HDEL', markerKey, 'created')
  elseif engineKey and not born then
    born = since
    redis.call('SET', engineKey, since)
  end
  if now > last then
    last = now
    redis.call('HSET', markerKey, 'last', now)
  end
  if witnessed and not lost then redis.call('HSET', markerKey, 'lost', '1') end
  local kind = 2
  if witnessed or lost or not born or since > born then kind = 1 end
  return since, last, kind
end
`;
