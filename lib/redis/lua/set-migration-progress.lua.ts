import { SERVER_NOW_LUA } from './server-now.lua';

/**
 * Records a migration's progress and a sample (server time, progress) of its rate, keeping
 * the newest; fenced: a runner with a lower epoch than the last writer's changes nothing.
 * Epochs are kept apart as integer strings (cjson writes numbers with 14 digits, an epoch has 16).
 * KEYS: state hash, epochs hash. ARGV: id, progress, epoch, samples kept.
 * Returns 1, or 0: unknown, or fenced by a newer epoch. Prelude: server clock (`now`).
 */
export const SET_MIGRATION_PROGRESS_LUA =
  SERVER_NOW_LUA +
  `local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if stored > tonumber(ARGV[3]) then return 0 end
local m = cjson.decode(raw)
local progress = tonumber(ARGV[2])
m.progress = progress
m.updatedAt = now
local samples = {}
if type(m.samples) == 'table' then samples = m.samples end
table.insert(samples, { now, progress })
while #samples > tonumber(ARGV[4]) do table.remove(samples, 1) end
m.samples = samples
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`;
