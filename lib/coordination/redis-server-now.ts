/** The Redis server's clock inside a script: `now` in milliseconds, `micros` in microseconds. */
export const SERVER_NOW = `
local t = redis.call('TIME')
local micros = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(micros / 1000)
`;
