import { RUN_MARKER_STATE_LUA } from './run-marker-state.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * `beginRun` of cluster/run-marker-transitions.ts, step for step: a token already waiting
 * runs once it is first in line and there is room; a new token runs when there is room and nobody waits, else
 * waits if the queue has room (asking the runs to stop, with cancel), else is busy. A run's
 * epoch is above every one given before and at least the server's clock in µs, so it keeps
 * growing after Redis lost the state.
 *
 * KEYS: state, previous. ARGV: token, ttl ms, limit, queue, cancel ('1'/'0').
 * Returns {'running', epoch, previous or false}, {'queued'} or {'busy'}.
 * Preludes: server clock (`now`, `micros`), run-marker state (`s`, `epoch()`, `save()`).
 */
export const BEGIN_RUN_LUA =
  SERVER_NOW_LUA +
  RUN_MARKER_STATE_LUA +
  `local token, expiresAt = ARGV[1], now + tonumber(ARGV[2])
local limit, queue, cancel = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local room = #s.running < limit
local function running()
  table.insert(s.running, { token = token, expiresAt = expiresAt })
  s.epoch = math.max(s.epoch, micros) + 1
  save()
  return { 'running', epoch(), redis.call('GET', KEYS[2]) }
end
for i, e in ipairs(s.waiting) do
  if e.token == token then
    if i == 1 and room then
      table.remove(s.waiting, 1)
      return running()
    end
    e.expiresAt = expiresAt
    save()
    return { 'queued' }
  end
end
for _, e in ipairs(s.running) do
  if e.token == token then return { 'running', epoch(), redis.call('GET', KEYS[2]) } end
end
if room and #s.waiting == 0 then return running() end
if #s.waiting < queue then
  table.insert(s.waiting, { token = token, expiresAt = expiresAt })
  if cancel then for _, e in ipairs(s.running) do e.cancel = true end end
  save()
  return { 'queued' }
end
save()
return { 'busy' }
`;
