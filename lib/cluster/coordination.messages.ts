/**
 * What every engine's coordinator says when it refuses a call (see `CoordinatorStateLostError`)
 * or is given a bad ttl. Each engine's own problems and warnings are in its folder
 * (redis/redis.messages.ts, postgres/postgres.messages.ts).
 */
export const MESSAGES = {
  slotRefused: (engine: string, routine: string, since: string, slot: string) =>
    `${engine} lost its state for '${routine}' (or is new to it) at ${since}: slot ${slot} may have run before, so it is refused; later slots run`,
  leaseRefused: (engine: string, routine: string, since: string, until: string) =>
    `${engine} lost its state for '${routine}' (or is new to it) at ${since}: no replica takes the lease before ${until}, when any lease issued before has expired`,
  invalidTtl: (ttlMs: number) => `invalid ttl: ${ttlMs} ms`,
} as const;
