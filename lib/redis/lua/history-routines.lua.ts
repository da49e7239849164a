/**
 * Notes the routines that have a history, for pruning (a routine's keys have its own hash tag,
 * so no script can list them). KEYS: the routines set. ARGV: routine names (none: just list).
 * Returns every name noted.
 */
export const HISTORY_ROUTINES_LUA = `if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return redis.call('SMEMBERS', KEYS[1])
`;
