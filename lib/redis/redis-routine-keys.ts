import { redisRoutineKey } from './redis-keys';

/**
 * A routine's keys, and what this process saw of its marker: the hash (`:alive`, no expiry)
 * holding the time of the routine's latest call. The slot and lease scripts send the latest
 * time seen and answer the marker's; a marker older than what was seen was rolled back (a
 * restart from an older snapshot, a failover to a replica that lagged): the scripts treat
 * it as a loss. Shared by slot claims and leases, which meet on one marker per routine.
 */
export class RedisRoutineKeys {
  /** Per routine, the latest marker time this process saw. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly prefix: string) {}

  /** `<prefix>{<routine>}:<what>`: one Cluster slot per routine (see `redisRoutineKey`). */
  key(routine: string, what: string): string {
    return redisRoutineKey(this.prefix, routine, what);
  }

  /** The latest marker time seen for the routine; 0 before any. */
  lastSeen(routine: string): number {
    return this.seen.get(routine) ?? 0;
  }

  /** Notes the marker time a script answered, if later than any seen. */
  saw(routine: string, last: unknown): void {
    const time = Number(last);
    if (Number.isFinite(time) && time > (this.seen.get(routine) ?? 0)) this.seen.set(routine, time);
  }
}
