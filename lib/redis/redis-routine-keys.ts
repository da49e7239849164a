// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import { CoordinatorStateLostError } from '../cluster/coordination.errors';
import { MESSAGES } from '../cluster/coordination.messages';
import { redisEngineKey, redisRoutineKey } from './redis-keys';

/**
 * A routine's keys, and what this process saw of its marker: the hash (`:alive`, no expiry)
 * holding the time of the routine's latest call. The slot and lease scripts send the latest
 * time seen and answer the marker's; a marker older than what was seen was rolled back (a
 * restart from an older snapshot, a failover to a replica that lagged): the scripts treat
 * it as a loss. Shared by slot claims and leases, which meet on one marker per routine.
 *
 * On a standalone or Sentinel client the engine has a mark of its own (`<prefix>~engine`, see
 * the loss marker script), which tells a routine new to the engine from one whose state was
 * lost. Not on a Cluster: a script reaches one hash slot, and one node can lose its keys alone.
 */
export class RedisRoutineKeys {
  /** Per routine, the latest marker time this process saw. */
  private readonly seen = new Map<string, number>();
  /** The engine's mark; undefined on a Cluster. */
  readonly engine: string | undefined;
  /** The server and key prefix, as the line said when the engine holds no state names them. */
  private readonly where: string;

  constructor(
    private readonly prefix: string,
    client: Redis | Cluster,
    private readonly skewMs: number,
  ) {
    const cluster = (client as Cluster).isCluster === true;
    this.engine = cluster ? undefined : redisEngineKey(prefix);
    this.where = `${describeServer(client)} (key prefix '${prefix}')`;
  }

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

  /**
   * The refusal a script answered: a loss of the routine's state (kind 1), or an engine that
   * holds no state from before `since` (kind 2: new, or emptied), said once per engine.
   */
  refused(
    routine: string,
    since: number,
    kind: unknown,
    what: 'slot' | 'lease',
    value: number,
  ): CoordinatorStateLostError {
    const notice =
      Number(kind) === 2
        ? MESSAGES.emptyEngine(
            this.where,
            new Date(since).toISOString(),
            new Date(since + this.skewMs).toISOString(),
          )
        : undefined;
    return new CoordinatorStateLostError('redis', routine, since, what, value, notice);
  }
}

/** `Redis at host:port/db`, `Redis (Sentinel 'name')` or `Redis Cluster`, from the client's options. */
function describeServer(client: Redis | Cluster): string {
  try {
    if ((client as Cluster).isCluster === true) return 'Redis Cluster';
    const options = (client as Redis).options as
      | {
          host?: string;
          port?: number;
          db?: number;
          path?: string;
          sentinels?: unknown;
          name?: string;
        }
      | undefined;
    if (!options) return 'Redis';
    if (Array.isArray(options.sentinels) && options.sentinels.length > 0)
      return `Redis (Sentinel '${options.name ?? ''}')`;
    if (options.path) return `Redis at ${options.path}`;
    return `Redis at ${options.host ?? 'localhost'}:${options.port ?? 6379}/${options.db ?? 0}`;
  } catch {
    return 'Redis';
  }
}
