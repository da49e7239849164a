// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import type {
  AcquireOptions,
  AuditTrail,
  ClaimOptions,
  CompletedRoutine,
  Coordinator,
  Lease,
  MigrationStateStore,
  ReplicaDirectory,
  RunHistoryStore,
  RunMarkers,
  StoredControls,
} from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { resolveRedisOptions, type RedisCoordinatorOptions } from './redis-coordinator-options';
import { RedisLeases } from './redis-leases';
import { RedisMigrationStore } from './redis-migration-store';
import { RedisReplicaDirectory } from './redis-replica-directory';
import { RedisRoutineKeys } from './redis-routine-keys';
import { RedisRunHistory } from './redis-run-history';
import { RedisRunMarkers } from './redis-run-markers';
import { RedisServerCheck } from './redis-server-check';
import { RedisSlotClaims } from './redis-slot-claims';
import { RedisStoredControls } from './redis-stored-controls';
import { RedisAuditTrail } from './redis-audit-trail';

export type { RedisCoordinatorOptions } from './redis-coordinator-options';

/**
 * Cluster coordination on Redis through an ioredis client (standalone, Sentinel or Cluster).
 * Every call is one round trip and one atomic script on the Redis server's clock:
 *
 * - `claimSlot`: checks the routine's marker key (see below), then
 *   `SET <prefix>{<routine>}:slot:<slot> <token> NX PX <ttl>`; `releaseSlot` deletes it if
 *   it still holds the releaser's token;
 * - `acquireLease`: when `<prefix>{<routine>}:lease` is absent, sets it with `PX <ttl>` and
 *   issues a fencing epoch above every one issued before (the larger of the stored epoch + 1
 *   and the server's time in µs), unless the routine completed under the caller's version;
 * - `renewLease` / `releaseLease` / `completeLease`: compare-and-set scripts on the token.
 *
 * Fail closed after a data loss: each routine has a marker hash with no expiry, holding the
 * time of its latest call, and the engine a mark of its own (`<prefix>~engine`, standalone and
 * Sentinel). A call that finds the routine's marker missing although this process saw it, or
 * older than a time this process already saw (a restart from an older snapshot, a failover to
 * a replica that lagged), notes the loss with the server's time and, from then on, refuses
 * slots due before that time plus `maxClockSkew` and holds back new lease holders for one
 * lease ttl, so that no claim or lease issued before the loss can be doubled. Those calls
 * reject with a `CoordinatorStateLostError`, counted as `claim-error` and logged once. A
 * routine new to an engine that has its mark is no loss: its first slot runs. An engine with
 * no mark holds no state at all, new or emptied (FLUSHALL, a restart without persistence),
 * which nothing in it tells apart: it fails closed the same way from the moment it is found
 * so, and says it in one info line. On a Cluster there is no engine mark (one node can lose
 * its keys alone): a routine without a marker is taken as lost there, new or not.
 *
 * All keys of one routine share a hash tag (`{routine}`), so they live in one hash slot of a
 * Redis Cluster (a name that is empty or starts with `}` is written escaped, `~{%...}`, so that
 * its tag is never empty). Errors from Redis reject, and the runtime fails closed. Give the client
 * `enableOfflineQueue: false` so calls fail fast while Redis is down instead of queueing; the
 * runtime also gives each call a deadline. Use `maxmemory-policy noeviction`: an eviction
 * policy may drop claims and leases early (checked on first use, with a warning).
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false });
 * RoutinesModule.forRoot({ coordinator: new RedisCoordinator(redis) });
 */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  /** Live replicas, for the dashboard (`<prefix>{replicas}:*`). */
  readonly replicas: ReplicaDirectory;
  /** Routine controls set from the dashboard, a cluster-wide pause (`<prefix>{controls}`). */
  readonly controls: StoredControls;
  /** Out-of-band migrations' progress, direction and errors (`<prefix>{migrations}:*`). */
  readonly migrations: MigrationStateStore;
  /** Cluster-wide overlap of periodic runs (`<prefix>{<routine>}:runs`, `:previous`). */
  readonly runs: RunMarkers;
  /**
   * Run history of every replica: `<prefix>{<routine>}:history` (a sorted set of runs) and
   * hourly and daily stats hashes beside it, expiring after 7 and 90 days.
   */
  readonly history: RunHistoryStore;
  /** The dashboard's audit trail, the newest 10,000 actions (`<prefix>{audit}`). */
  readonly audit: AuditTrail;
  private readonly slots: RedisSlotClaims;
  private readonly leases: RedisLeases;

  constructor(client: RedisClient, options: RedisCoordinatorOptions = {}) {
    const { prefix, skewMs } = resolveRedisOptions(client, options);
    const ioredis = client as unknown as Redis | Cluster;
    const keys = new RedisRoutineKeys(prefix, ioredis, skewMs);
    const server = new RedisServerCheck(ioredis, options.logger ?? console);
    this.slots = new RedisSlotClaims(ioredis, keys, skewMs, server);
    this.leases = new RedisLeases(ioredis, keys, server);
    this.replicas = new RedisReplicaDirectory(client, prefix);
    this.controls = new RedisStoredControls(client, prefix);
    this.audit = new RedisAuditTrail(client, prefix);
    this.migrations = new RedisMigrationStore(client, prefix);
    this.runs = new RedisRunMarkers(client, (routine, what) => keys.key(routine, what));
    this.history = new RedisRunHistory(
      client,
      (routine, what) => keys.key(routine, what),
      `${prefix}{history}:routines`,
    );
  }

  /**
   * On a standalone or Sentinel client, claims due at the same instant (routines on one grid
   * point) go in one script: one round trip for all of them.
   */
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean> {
    return this.slots.claimSlot(routine, slot, ttlMs, token, options);
  }

  /** With a token, deletes the claim only if it is still that token's (the lease's script). */
  releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    return this.slots.releaseSlot(routine, slot, token);
  }

  acquireLease(
    routine: string,
    ttlMs: number,
    options?: AcquireOptions,
  ): Promise<Lease | CompletedRoutine | null> {
    return this.leases.acquireLease(routine, ttlMs, options);
  }

  renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    return this.leases.renewLease(lease, ttlMs);
  }

  releaseLease(lease: Lease): Promise<void> {
    return this.leases.releaseLease(lease);
  }

  completeLease(lease: Lease, version: string): Promise<boolean> {
    return this.leases.completeLease(lease, version);
  }

  resetCompletion(routine: string): Promise<void> {
    return this.leases.resetCompletion(routine);
  }
}
