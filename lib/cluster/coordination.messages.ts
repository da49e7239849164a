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
  slotHeldBack: (engine: string, routine: string, since: string, slot: string) =>
    `${engine} holds no state from before ${since} (new, or emptied): slot ${slot} of '${routine}' may have run before, so it is not claimed; later slots run`,
  leaseHeldBack: (engine: string, routine: string, since: string, until: string) =>
    `${engine} holds no state from before ${since} (new, or emptied): no replica takes the lease of '${routine}' before ${until}, when any lease issued before has expired`,
  /** Logged once per engine (info), when it holds no state at all: new, or emptied. */
  emptyEngine: (where: string, since: string, slotsFrom: string) =>
    `${where} holds no routines state (new, or emptied) at ${since}: slots due before ${slotsFrom} are not claimed and leases wait one lease ttl from then, to avoid running a slot twice or having two holders at once; later slots run`,
  invalidTtl: (ttlMs: number) => `invalid ttl: ${ttlMs} ms`,
} as const;
