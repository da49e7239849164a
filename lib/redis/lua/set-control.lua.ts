/** Sets a routine's control. KEYS: controls hash. ARGV: routine, control. */
export const SET_CONTROL_LUA = `return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])`;
