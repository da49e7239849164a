import { RUN_MARKER_STATE_LUA } from './run-marker-state.lua';
import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * `renewRun` of cluster/run-marker-transitions.ts: keeps a run's marker (or a place in the
 * queue) for another ttl. KEYS: state. ARGV: token, ttl ms. Returns 'running', 'cancelled' (a newer slot
 * asked the run to stop) or 'lost' (expired or taken).
 * Preludes: server clock (`now`), run-marker state (`s`, `save()`).
 */
export const RENEW_RUN_LUA =
  SERVER_NOW_LUA +
  RUN_MARKER_STATE_LUA +
  `local token, expiresAt = ARGV[1], now + tonumber(ARGV[2])
for _, e in ipairs(s.running) do
  if e.token == token then
    e.expiresAt = expiresAt
    save()
    if e.cancel then return 'cancelled' end
    return 'running'
  end
end
for _, e in ipairs(s.waiting) do
  if e.token == token then
    e.expiresAt = expiresAt
    save()
    return 'running'
  end
end
save()
return 'lost'
`;
