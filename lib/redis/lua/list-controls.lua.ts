/** Every routine's control, flat (routine, control, ...). KEYS: controls hash. */
export const LIST_CONTROLS_LUA = `return redis.call('HGETALL', KEYS[1])`;
