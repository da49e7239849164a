/**
 * Prelude: the Redis server's clock, never the client's. Defines the locals `micros` (µs) and
 * `now` (ms, whole). A script that needs the clock is this prelude followed by its body:
 * `SERVER_NOW_LUA + BODY` (see the scripts of this folder); nothing else is spliced into a
 * script's text, so each body reads as Lua on its own.
 *
 * `TIME` is non-deterministic: fine under effects replication (Redis 5+ by default, 7 always).
 */
export const SERVER_NOW_LUA = `local t = redis.call('TIME')
local micros = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(micros / 1000)
`;
