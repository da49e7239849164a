import { RUN_MARKER_STATE_LUA } from './run-marker-state.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * `endRun` of cluster/run-marker-transitions.ts: removes the token, running or waiting;
 * stores the run's outcome as the routine's `previous` only if the run still held a live
 * marker.
 * KEYS: state, previous. ARGV: token, previous ('' for none). Returns 1.
 * Preludes: server clock (`now`), run-marker state (`s`, `save()`).
 */
export const END_RUN_LUA =
  SERVER_NOW_LUA +
  RUN_MARKER_STATE_LUA +
  `local token = ARGV[1]
local held = false
for _, e in ipairs(s.running) do if e.token == token then held = true end end
local function without(list)
  local kept = {}
  for _, e in ipairs(list) do if e.token ~= token then table.insert(kept, e) end end
  return kept
end
s.running = without(s.running)
s.waiting = without(s.waiting)
save()
if held and ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`;
