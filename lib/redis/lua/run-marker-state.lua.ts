/**
 * Prelude of the run-marker scripts (after `SERVER_NOW_LUA`, whose `now` it reads): loads a
 * routine's run markers, the state of cluster/ports/run-markers.ts, from `KEYS[1]` (a JSON
 * string `{ running = [{token, expiresAt, cancel}], waiting = [{token, expiresAt}], epoch }`) into
 * the local `s`, with the markers and places that expired by `now` dropped. Defines
 * `epoch()`, the epoch as an integer string, and `save()`, which writes `s` back.
 *
 * The JSON keeps the epoch as a string, since cjson writes numbers with 14 digits only and
 * an epoch (the server's clock in µs) has 16.
 */
export const RUN_MARKER_STATE_LUA = `local raw = redis.call('GET', KEYS[1])
local s
if raw then s = cjson.decode(raw) else s = { running = {}, waiting = {}, epoch = 0 } end
local function live(list)
  local kept = {}
  if type(list) ~= 'table' then return kept end
  for _, e in ipairs(list) do if tonumber(e.expiresAt) > now then table.insert(kept, e) end end
  return kept
end
s.running = live(s.running)
s.waiting = live(s.waiting)
s.epoch = tonumber(s.epoch) or 0
local function epoch() return string.format('%d', s.epoch) end
local function save()
  local e = s.epoch
  s.epoch = epoch()
  redis.call('SET', KEYS[1], cjson.encode(s))
  s.epoch = e
end
`;
